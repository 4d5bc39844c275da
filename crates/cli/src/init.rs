//! `deskpulse init`: a commented starter configuration and the database it names.
//!
//! The file is created readable by its owner only (0600): it is where credentials go. An
//! existing file overwritten with `--force` keeps its mode (`deskpulse check` says when it is
//! readable by others). The database URL is printed masked: it may carry a password.

use crate::CommandError;
use crate::cli::InitArgs;
use crate::config::Settings;
use std::io::Write;
use std::path::Path;

/// The shipped reference configuration: every key, commented; valid as it stands.
pub(crate) const TEMPLATE: &str = include_str!("../../../config/default.toml");

pub(crate) async fn run(path: &Path, args: InitArgs) -> Result<(), CommandError> {
    if path.exists() && !args.force {
        return Err(CommandError::Usage(format!(
            "{} already exists: edit it, or pass --force to overwrite it with the starter configuration",
            path.display()
        )));
    }
    write_private(path, TEMPLATE.as_bytes(), args.force)
        .map_err(|e| CommandError::Runtime(format!("cannot write {}: {e}", path.display())))?;
    let settings = Settings::load(path)?;
    let secrets = settings.secrets();
    deskpulse_storage::Store::open(settings.database.url.expose())
        .await
        .map_err(|e| CommandError::Runtime(secrets.scrub(&e.to_string())))?;
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

/// Writes `contents` to a file created with mode 0600 (the owner's only, whatever the umask),
/// or truncates the existing one when `overwrite` (its mode unchanged). Never follows a race
/// into someone else's file: without `overwrite` the file must not exist.
pub(crate) fn write_private(path: &Path, contents: &[u8], overwrite: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_the_owners_only_and_an_existing_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("deskpulse.toml");
        write_private(&path, b"a = 1\n", false).expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        // Without --force an existing file is never written (the check above can race).
        assert!(write_private(&path, b"b = 2\n", false).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_private(&path, b"c = 3\n", true).expect("overwrite");
        assert_eq!(mode(&path), 0o640);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "c = 3\n");
    }
}
