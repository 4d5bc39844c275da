//! `deskpulse init`: a commented starter configuration and the database it names.

use crate::Failure;
use crate::cli::InitArgs;
use crate::config::Settings;
use std::path::Path;

/// The shipped reference configuration: every key, commented; valid as it stands.
pub(crate) const TEMPLATE: &str = include_str!("../../../config/default.toml");

pub(crate) async fn run(path: &Path, args: InitArgs) -> Result<(), Failure> {
    if path.exists() && !args.force {
        return Err(Failure::Usage(format!(
            "{} already exists: edit it, or pass --force to overwrite it with the starter configuration",
            path.display()
        )));
    }
    std::fs::write(path, TEMPLATE)
        .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", path.display())))?;
    let settings = Settings::load(path)?;
    deskpulse_storage::Store::open(&settings.database.url)
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    println!(
        "wrote {} and created the database {}",
        path.display(),
        settings.database.url
    );
    println!(
        "next: add your helpdesk under [[sources]] in {} (see the comments there),",
        path.display()
    );
    println!("      then run `deskpulse sync` and `deskpulse report`.");
    Ok(())
}
