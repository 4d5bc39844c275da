//! Writing what customers say in public: reviews, review platforms' daily rating snapshots,
//! social counters (one per counter and UTC day) and social interactions (authors hashed).
//! Called by the batch commit, inside its transaction.

use crate::StorageError;
use crate::db::{PARAMS_PER_STATEMENT, Query, Time, Tx};
use crate::error::query;
use crate::secret::{hash_email, install_secret};
use deskpulse_model::{RatingSnapshot, Review, SocialInteraction, SocialStat};

/// Upserts `rows` (writing reviews). A reply keeps the earliest time any sync saw for it:
/// Google Business Profile, App Store Connect and Google Play give only the reply's last
/// edit, so an edit must not make a stored reply look later (a removed reply clears it).
pub(super) async fn write_reviews(
    tx: &mut Tx,
    source: &str,
    rows: &[&Review],
) -> Result<(), StorageError> {
    for chunk in rows.chunks(PARAMS_PER_STATEMENT / 11) {
        let mut qb = tx.sql(
            "INSERT INTO reviews (source, platform, external_id, rating, title, \
             review_text, author_name, created_at, reply_text, replied_at, url) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(source)
                .push_bind(&r.platform)
                .push_bind(&r.external_id)
                .push_bind(r.rating)
                .push_bind(&r.title)
                .push_bind(&r.text)
                .push_bind(&r.author_name)
                .push_bind(Time(r.created_at))
                .push_bind(&r.reply_text)
                .push_bind(r.replied_at.map(Time))
                .push_bind(&r.url);
        });
        qb.push(format!(
            " ON CONFLICT (source, platform, external_id) DO UPDATE SET \
             rating = excluded.rating, title = excluded.title, \
             review_text = excluded.review_text, author_name = excluded.author_name, \
             created_at = excluded.created_at, reply_text = excluded.reply_text, \
             url = excluded.url, {}",
            earliest_reply("reviews")
        ));
        qb.execute(&mut *tx)
            .await
            .map_err(query("writing reviews"))?;
    }
    Ok(())
}

/// `source = … AND platform = … AND account = … AND metric = …`: the rows of `s`'s counter.
fn same_counter(qb: &mut Query, source: &str, s: &SocialStat) {
    qb.push("source = ")
        .push_bind(source)
        .push(" AND platform = ")
        .push_bind(&s.platform)
        .push(" AND account = ")
        .push_bind(&s.account)
        .push(" AND metric = ")
        .push_bind(s.metric.as_str());
}

/// The `SET` of a stored reply time on an upsert into `table`: the earliest any sync saw
/// (Google, App Store and Play give a reply's last edit; an edit must not make it look
/// later), and none once the reply is gone.
fn earliest_reply(table: &str) -> String {
    format!(
        "replied_at = CASE WHEN excluded.replied_at IS NULL THEN NULL \
         WHEN {table}.replied_at IS NOT NULL AND {table}.replied_at < excluded.replied_at \
         THEN {table}.replied_at ELSE excluded.replied_at END"
    )
}

/// Writes `rows`, keeping one observation per counter and UTC day: platforms keep no history
/// of their counters, so a daily snapshot is what trends are made of, and a sync every 15
/// minutes must not store 96 a day. A later observation of the day replaces the earlier
/// one; an earlier one (a batch replayed after a crash) never replaces a later one.
pub(super) async fn write_social_stats(
    tx: &mut Tx,
    source: &str,
    rows: &[&SocialStat],
) -> Result<(), StorageError> {
    for s in rows {
        let day = s.observed_at.date_naive();
        let from = Time(day.and_time(chrono::NaiveTime::MIN).and_utc());
        let to = Time(
            (day + chrono::Days::new(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
        );
        let mut later = tx.sql("SELECT COUNT(*) FROM social_stats WHERE ");
        same_counter(&mut later, source, s);
        later
            .push(" AND observed_at > ")
            .push_bind(Time(s.observed_at))
            .push(" AND observed_at < ")
            .push_bind(to);
        let newer: i64 = later
            .scalar(&mut *tx)
            .await
            .map_err(query("reading social stats"))?;
        if newer > 0 {
            continue;
        }
        let mut del = tx.sql("DELETE FROM social_stats WHERE ");
        same_counter(&mut del, source, s);
        del.push(" AND observed_at >= ")
            .push_bind(from)
            .push(" AND observed_at < ")
            .push_bind(Time(s.observed_at));
        del.execute(&mut *tx)
            .await
            .map_err(query("replacing social stats"))?;
        let mut qb = tx.sql(
            "INSERT INTO social_stats (source, platform, account, metric, value, observed_at) ",
        );
        qb.push_values([s], |mut b, s| {
            b.push_bind(source)
                .push_bind(&s.platform)
                .push_bind(&s.account)
                .push_bind(s.metric.as_str())
                .push_bind(s.value)
                .push_bind(Time(s.observed_at));
        });
        qb.push(
            " ON CONFLICT (source, platform, account, metric, observed_at) \
             DO UPDATE SET value = excluded.value",
        );
        qb.execute(&mut *tx)
            .await
            .map_err(query("writing social stats"))?;
    }
    Ok(())
}

/// Upserts `rows`, one per platform, account and UTC day; an earlier observation of the same
/// day (a batch replayed after a crash) never replaces a later one.
pub(super) async fn write_rating_snapshots(
    tx: &mut Tx,
    source: &str,
    rows: &[&RatingSnapshot],
) -> Result<(), StorageError> {
    for chunk in rows.chunks(PARAMS_PER_STATEMENT / 8) {
        let mut qb = tx.sql(
            "INSERT INTO rating_snapshots (source, platform, account, day, overall_rating, \
             total_reviews, coverage, observed_at) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(source)
                .push_bind(&r.platform)
                .push_bind(&r.account)
                .push_bind(r.day().to_string())
                .push_bind(r.overall_rating)
                .push_bind(
                    r.total_reviews
                        .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
                )
                .push_bind(r.coverage.as_str())
                .push_bind(Time(r.observed_at));
        });
        qb.push(
            " ON CONFLICT (source, platform, account, day) DO UPDATE SET \
             overall_rating = excluded.overall_rating, total_reviews = excluded.total_reviews, \
             coverage = excluded.coverage, observed_at = excluded.observed_at \
             WHERE excluded.observed_at >= rating_snapshots.observed_at",
        );
        qb.execute(&mut *tx)
            .await
            .map_err(query("writing rating snapshots"))?;
    }
    Ok(())
}

/// Upserts `rows`, each author id replaced by its keyed hash (the id goes no further than
/// this function); a reply keeps the earliest time any sync saw, as reviews' do.
pub(super) async fn write_interactions(
    tx: &mut Tx,
    source: &str,
    rows: &[&SocialInteraction],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let secret = install_secret(tx).await?;
    let hashes: Vec<Option<String>> = rows
        .iter()
        .map(|i| {
            i.author_id
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                .map(|a| hash_email(&secret, &format!("{}:{a}", i.platform)))
        })
        .collect();
    let rows: Vec<(&&SocialInteraction, &Option<String>)> = rows.iter().zip(&hashes).collect();
    for chunk in rows.chunks(PARAMS_PER_STATEMENT / 10) {
        let mut qb = tx.sql(
            "INSERT INTO social_interactions (source, platform, account, external_id, kind, \
             created_at, author_hash, positive, replied_at, deleted) ",
        );
        qb.push_values(chunk, |mut b, (i, hash)| {
            b.push_bind(source)
                .push_bind(&i.platform)
                .push_bind(&i.account)
                .push_bind(&i.external_id)
                .push_bind(i.kind.as_str())
                .push_bind(Time(i.created_at))
                .push_bind(hash.as_deref())
                .push_bind(i.positive)
                .push_bind(i.replied_at.map(Time))
                .push_bind(i.deleted);
        });
        qb.push(format!(
            " ON CONFLICT (source, platform, external_id) DO UPDATE SET \
             account = excluded.account, kind = excluded.kind, \
             created_at = excluded.created_at, author_hash = excluded.author_hash, \
             positive = excluded.positive, deleted = excluded.deleted, {}",
            earliest_reply("social_interactions")
        ));
        qb.execute(&mut *tx)
            .await
            .map_err(query("writing social interactions"))?;
    }
    Ok(())
}
