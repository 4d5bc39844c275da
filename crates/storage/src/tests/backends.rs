//! The two backends side by side (identical dumps and report inputs), and opening databases:
//! files created or reopened, bad URLs, secrets kept out of files and output, migrations.

use super::*;

/// Feeds the same batches to a store, as a sync would.
async fn fill(store: &Store) {
    store
        .commit_batch(SRC, "tickets", &full_batch(1))
        .await
        .unwrap();
    store
        .commit_batch(SRC, "tickets", &full_batch(2))
        .await
        .unwrap();
    store
        .commit_batch("other", "reviews", &full_batch(3))
        .await
        .unwrap();
    // Hashed e-mails differ per install; dumps must not.
    let customers = Batch {
        records: vec![Record::Customer(deskpulse_model::Customer {
            external_id: "req-1".into(),
            email: Some("ann@example.com".into()),
        })],
        checkpoint: Checkpoint::new(json!(4)),
    };
    store.commit_batch(SRC, "users", &customers).await.unwrap();
    let order = crate::OrderRow {
        order_id: "o1".into(),
        customer_email: "ANN@example.com".into(),
        created_at: at(1),
        amount: 12.5,
        currency: "EUR".into(),
    };
    store.import_orders("support", &[order]).await.unwrap();
}

#[tokio::test]
async fn sqlite_and_postgres_dump_identically() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let lite = TestDb::sqlite();
    let (a, b) = (lite.open().await, pg.open().await);
    fill(&a).await;
    fill(&b).await;
    let (da, db) = (a.dump().await.unwrap(), b.dump().await.unwrap());
    assert_eq!(da, db);
    assert_eq!(a.counts().await.unwrap(), b.counts().await.unwrap());
    let period = (at(-100), at(100));
    let load = async |s: &Store| {
        let mut input = s
            .load_report_input_for("support", &[SRC.into(), "other".into()], period.0, period.1)
            .await
            .unwrap();
        // Hashes are per install (each database has its own secret); the rest is equal.
        assert_eq!(input.requesters.len(), 1);
        assert_eq!(input.orders.len(), 1);
        assert_eq!(
            input.requesters[0].email_hash,
            input.orders[0].customer_hash
        );
        input.requesters[0].email_hash.clear();
        input.orders[0].customer_hash.clear();
        // Social authors likewise: one hash per author, the same on every source.
        let authors: Vec<String> = input
            .social_interactions
            .iter_mut()
            .filter_map(|i| i.interaction.author_id.take())
            .collect();
        assert_eq!(authors.len(), 2);
        assert_eq!(authors[0], authors[1]);
        input
    };
    assert_eq!(load(&a).await, load(&b).await);
    b.close().await;
    pg.cleanup().await;
}

#[tokio::test]
async fn sqlite_memory_works() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    fill(&store).await;
    assert_eq!(store.counts().await.unwrap()["tickets"], 4);
}

#[tokio::test]
async fn sqlite_file_is_created_if_missing_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("dir").join("deskpulse.db");
    let url = format!("sqlite://{}", path.display());
    assert!(!path.exists());
    let store = Store::open(&url).await.unwrap();
    assert!(path.exists());
    fill(&store).await;
    let dump = store.dump().await.unwrap();
    store.close().await;
    // Reopening migrates nothing new and finds the data.
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.dump().await.unwrap(), dump);
    assert_eq!(
        store
            .counts()
            .await
            .unwrap()
            .keys()
            .copied()
            .collect::<Vec<_>>()
            .len(),
        TABLES.len()
    );
}

#[tokio::test]
async fn bad_urls_say_what_to_do_and_hide_passwords() {
    let err = Store::open("mysql://bob:hunter2@db.example.com/kpi")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::UnsupportedUrl { .. }));
    assert!(msg.contains("mysql://bob:****@db.example.com/kpi"), "{msg}");
    assert!(
        msg.contains("sqlite://") && msg.contains("postgres://"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
    assert!(!format!("{err:?}").contains("hunter2"));

    // Nothing listens on port 1.
    let err = Store::open("postgres://bob:hunter2@127.0.0.1:1/kpi")
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::Open { .. }), "{msg}");
    assert!(msg.contains("postgres://bob:****@127.0.0.1:1/kpi"), "{msg}");
    assert!(msg.contains("running and reachable"), "{msg}");
    assert!(
        !msg.contains("hunter2") && !format!("{err:?}").contains("hunter2"),
        "{msg}"
    );

    // A SQLite path that cannot be created.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let url = format!("sqlite://{}/x.db", blocker.display());
    let msg = Store::open(&url).await.unwrap_err().to_string();
    assert!(msg.contains(&url) && msg.contains("writable"), "{msg}");
}

/// The address is not in the database file (nor its WAL), and another install hashes it
/// differently: the hash cannot be matched against a list of known addresses elsewhere.
#[tokio::test]
async fn sqlite_file_holds_no_address_and_installs_differ() {
    let (a, b) = (TestDb::sqlite(), TestDb::sqlite());
    let (sa, sb) = (a.open().await, b.open().await);
    let email = "Secret.Person@Example.org";
    let records = vec![Record::Customer(deskpulse_model::Customer {
        external_id: "c1".into(),
        email: Some(email.into()),
    })];
    for s in [&sa, &sb] {
        s.commit_batch(
            SRC,
            "users",
            &Batch {
                records: records.clone(),
                checkpoint: Checkpoint::new(json!(1)),
            },
        )
        .await
        .unwrap();
        s.import_orders(
            "support",
            &[crate::OrderRow {
                order_id: "o1".into(),
                customer_email: email.into(),
                created_at: at(0),
                amount: 1.0,
                currency: "EUR".into(),
            }],
        )
        .await
        .unwrap();
    }
    let (ha, hb) = (
        sa.email_hash(email).await.unwrap(),
        sb.email_hash(email).await.unwrap(),
    );
    assert_ne!(ha, hb);
    assert_eq!(ha, sa.email_hash(email).await.unwrap());
    let path = a.url().trim_start_matches("sqlite://").to_string();
    sa.close().await;
    sb.close().await;
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    assert!(
        !text.contains("secret.person"),
        "the address is in the file"
    );
    assert!(!text.contains("example.org"), "the address is in the file");
    assert!(text.contains(&ha), "the hash should be stored");
}

#[test]
fn migration_versions_match() {
    let versions = |dir: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(dir);
        let mut v: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(versions("sqlite"), versions("postgres"));
    assert!(!versions("sqlite").is_empty());
}

#[tokio::test]
async fn postgres_passwords_stay_out_of_debug_output() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let mut url = url::Url::parse(pg.url()).unwrap();
    url.set_password(Some("hunter2")).unwrap();
    // The test server may ignore the password (trust auth) or reject it: neither may leak it.
    match Store::open(url.as_str()).await {
        Ok(store) => {
            assert!(!format!("{store:?}").contains("hunter2"));
            store.close().await;
        }
        Err(e) => assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}"),
    }
    pg.cleanup().await;
}
