//! The `deskpulse` binary: everything lives in the library so tests run the same code.

fn main() -> std::process::ExitCode {
    deskpulse::main_entry()
}
