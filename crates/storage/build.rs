//! Re-embeds the migrations when one is added or changed (`sqlx::migrate!` alone would not notice).
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
