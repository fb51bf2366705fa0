//! Project automation (placeholder until the full xtask lands).
fn main() {}
