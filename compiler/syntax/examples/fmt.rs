//! Formats a file to stdout (debugging aid): `cargo run -p skel_syntax --example fmt FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("path");
    let text = std::fs::read_to_string(path).expect("read");
    match skel_syntax::format(&text) {
        Ok(s) => print!("{s}"),
        Err(errors) => {
            for e in errors {
                println!("error {:?}: {}", e.range, e.message);
            }
        }
    }
}
