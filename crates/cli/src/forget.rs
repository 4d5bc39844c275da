//! `deskpulse forget --source NAME | --customer EMAIL`: deletes what deskpulse stored of a
//! source, or of one customer, for privacy requests and for sources that are gone.
//!
//! - `--source NAME`: every record of the source (tickets, messages, status changes, agents,
//!   ratings, reviews, social stats, customers), its checkpoints, the facts derived from it,
//!   the vendor's own values and the rows of an unfinished id sweep, in one transaction.
//!   The name need not be configured any more (a removed source is the usual case).
//! - `--customer EMAIL`: the customer's imported orders (every team) and their rows in the
//!   helpdesks' customer table (every source), found by the keyed hash of the address,
//!   exactly as they were stored; the address itself was never stored.
//!
//! Both ask on a terminal before deleting, unless `--yes`; without a terminal they refuse
//! without `--yes` (a script must say so), and say what they deleted, per table.

use crate::CommandError;
use crate::cli::ForgetArgs;
use crate::config::Settings;
use deskpulse_model::SourceName;
use deskpulse_storage::{CUSTOMER_TABLES, Forgotten, SOURCE_TABLES, Store, sync_job};
use std::io::{BufRead, IsTerminal, Write};

pub(crate) async fn run(settings: &Settings, args: ForgetArgs) -> Result<(), CommandError> {
    let what = What::from_args(&args)?;
    let db = crate::check::database_label(&settings.database.url);
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CommandError::Usage(format!(
                "forget deletes {} from {db} and asks first, but stdin is not a terminal: \
                 pass --yes to confirm",
                what.object()
            )));
        }
        let question = format!(
            "This deletes {} from {db}: {}. It cannot be undone. Delete? [y/N] ",
            what.object(),
            what.tables().join(", ")
        );
        let mut err = std::io::stderr();
        let confirmed = confirm(&question, &mut std::io::stdin().lock(), &mut err)
            .map_err(|e| CommandError::Runtime(format!("cannot read the answer: {e}")))?;
        if !confirmed {
            return Err(CommandError::Runtime(
                "cancelled: nothing was deleted".to_owned(),
            ));
        }
    }
    // A SQLite file that does not exist holds nothing: do not create it to say so.
    if let Some(path) = crate::check::sqlite_path(&settings.database.url)
        && !path.exists()
    {
        println!(
            "nothing to forget: the database {} does not exist",
            path.display()
        );
        return Ok(());
    }
    let store = Store::open(&settings.database.url)
        .await
        .map_err(|e| CommandError::Runtime(e.to_string()))?;
    let forgotten = match &what {
        What::Source(name) => {
            // On Postgres the daemon runs a source's sync under this lock: holding it, no
            // sync of the source can write pages back while (or just after) they go.
            let lock = store
                .try_lock_job(&sync_job(name.as_str()))
                .await
                .map_err(|e| CommandError::Runtime(e.to_string()))?
                .ok_or_else(|| {
                    CommandError::Runtime(format!(
                        "a sync of source {name} is running (a daemon holds its lock): \
                         wait for it to finish, or stop the daemon, and run forget again"
                    ))
                })?;
            let done = store.forget_source(name.as_str()).await;
            let _ = lock.release().await;
            done
        }
        What::Customer(email) => store.forget_customer(email).await,
    }
    .map_err(|e| CommandError::Runtime(e.to_string()))?;
    print!("{}", report(&what, &forgotten));
    if let What::Source(name) = &what
        && settings.source(name.as_str()).is_some()
    {
        eprintln!(
            "note: source {name} is still in {}: its next sync reads it again from the start; \
             remove its [[sources]] entry (and its name from the teams' sources) to keep it \
             forgotten",
            settings.path.display()
        );
    }
    Ok(())
}

/// What to forget.
enum What {
    Source(SourceName),
    /// The address as given; it goes no further than its hash.
    Customer(String),
}

impl What {
    fn from_args(args: &ForgetArgs) -> Result<Self, CommandError> {
        match (&args.source, &args.customer) {
            (Some(name), None) => SourceName::parse(name).map(What::Source).map_err(|_| {
                CommandError::Usage(format!(
                    "--source {name:?} is not a source name (lowercase letters, digits, - and _, \
                     as in [[sources]] name)"
                ))
            }),
            (None, Some(email)) => {
                let e = email.trim();
                match e.split_once('@') {
                    Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
                        Ok(What::Customer(e.to_owned()))
                    }
                    // Never echo what may be an address: say what is wrong with it.
                    _ => Err(CommandError::Usage(
                        "--customer is not an e-mail address (expected name@domain)".to_owned(),
                    )),
                }
            }
            _ => Err(CommandError::Usage(
                "forget needs exactly one of --source NAME and --customer EMAIL".to_owned(),
            )),
        }
    }

    /// What is deleted, for the question and the report.
    fn object(&self) -> String {
        match self {
            What::Source(name) => format!("everything stored of source {name}"),
            What::Customer(_) => "the rows of the customer with that e-mail address".to_owned(),
        }
    }

    fn tables(&self) -> &'static [&'static str] {
        match self {
            What::Source(_) => SOURCE_TABLES,
            What::Customer(_) => CUSTOMER_TABLES,
        }
    }
}

/// Asks `question` on `out` and reads one line of `input`: only `y` or `yes` (any case)
/// confirm; an empty line, anything else or the end of the input do not.
fn confirm(
    question: &str,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    out.write_all(question.as_bytes())?;
    out.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

/// `forgot …: N rows deleted`, then one line per table.
fn report(what: &What, f: &Forgotten) -> String {
    let total = f.total();
    let head = match what {
        What::Source(name) if total == 0 => format!("nothing was stored for source {name}"),
        What::Source(name) => format!("forgot source {name}"),
        What::Customer(_) if total == 0 => "nothing was stored for that e-mail address".to_owned(),
        What::Customer(_) => "forgot the customer with that e-mail address".to_owned(),
    };
    let mut out = format!(
        "{head}: {total} row{} deleted\n",
        if total == 1 { "" } else { "s" }
    );
    let width = f.tables.iter().map(|(t, _)| t.len()).max().unwrap_or(0);
    for (table, n) in &f.tables {
        out.push_str(&format!("  {table:<width$}  {n}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_confirms() {
        for (answer, expected) in [
            ("y\n", true),
            ("YES\n", true),
            (" yes \r\n", true),
            ("\n", false),
            ("n\n", false),
            ("yep\n", false),
            ("", false),
        ] {
            let mut out = Vec::new();
            let got = confirm("Delete? [y/N] ", &mut answer.as_bytes(), &mut out).unwrap();
            assert_eq!(got, expected, "{answer:?}");
            assert_eq!(out, b"Delete? [y/N] ");
        }
    }

    #[test]
    fn arguments_are_checked_without_echoing_an_address() {
        let args = |source: Option<&str>, customer: Option<&str>| ForgetArgs {
            source: source.map(Into::into),
            customer: customer.map(Into::into),
            yes: true,
        };
        assert!(matches!(
            What::from_args(&args(Some("zd-main"), None)),
            Ok(What::Source(_))
        ));
        let e = What::from_args(&args(Some("ZD Main"), None)).err().unwrap();
        assert!(e.message().contains("not a source name"), "{e:?}");
        let e = What::from_args(&args(None, Some("ann.example.com")))
            .err()
            .unwrap();
        assert!(!e.message().contains("ann.example"), "{e:?}");
        assert!(matches!(
            What::from_args(&args(None, Some(" Ann@Example.com "))),
            Ok(What::Customer(e)) if e == "Ann@Example.com"
        ));
    }

    #[test]
    fn the_report_counts_per_table() {
        let f = Forgotten {
            tables: vec![("tickets", 2), ("messages", 9), ("roster_seen", 0)],
        };
        let name = SourceName::parse("zd").unwrap();
        assert_eq!(
            report(&What::Source(name.clone()), &f),
            "forgot source zd: 11 rows deleted\n  tickets      2\n  messages     9\n  roster_seen  0\n"
        );
        let none = Forgotten {
            tables: vec![("orders", 0), ("customers", 0)],
        };
        assert!(
            report(&What::Customer("a@b".into()), &none)
                .starts_with("nothing was stored for that e-mail address: 0 rows deleted")
        );
    }
}
