//! Prints the parse of a file (debugging aid): `cargo run -p skel_syntax --example dump FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let text = std::fs::read_to_string(path).expect("read");
    let p = skel_syntax::parse(&text);
    println!("{:#?}", p);
}
