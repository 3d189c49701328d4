// `sqlx::migrate!` embeds migrations/ at compile time, and cargo does not know the
// folder is an input: without this, a new migration is missing from the binary until
// something else changes.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
