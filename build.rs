// The migrations are embedded in the binary (`embed_migrations!`); without this, adding a
// migration directory does not rebuild the crate, and the binary would lack it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
