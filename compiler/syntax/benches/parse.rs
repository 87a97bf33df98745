//! Parser and formatter throughput on a generated file of 5,000 typical resources (MB/s).

use std::fmt::Write;
use std::time::Instant;

fn generate(n_blocks: usize) -> String {
    let mut s = String::new();
    for i in 0..n_blocks {
        write!(
            s,
            r#"# instance {i}
resource "aws_instance" "web_{i}" {{
  ami           = "ami-0c55b159cbfafe1f0"
  instance_type = var.large ? "t3.large" : "t3.micro"
  count         = length(var.subnets) * 2 + 1
  subnet_id     = aws_subnet.main[count.index % 3].id
  tags = {{
    Name        = "web-${{var.env}}-{i}"
    Environment = var.env
  }}
  security_groups = [for sg in aws_security_group.all : sg.id if sg.public]

  lifecycle {{
    create_before_destroy = true
  }}
}}

"#
        )
        .unwrap();
    }
    s
}

fn measure(label: &str, text: &str, rounds: usize, f: impl Fn(&str)) {
    f(text);
    let start = Instant::now();
    for _ in 0..rounds {
        f(text);
    }
    let secs = start.elapsed().as_secs_f64() / rounds as f64;
    let mb = text.len() as f64 / 1e6;
    println!(
        "{label}: {:.2} MB in {:.1} ms = {:.1} MB/s",
        mb,
        secs * 1e3,
        mb / secs
    );
}

fn main() {
    let text = generate(5000);
    measure("parse", &text, 5, |t| {
        let p = skel_syntax::parse(t);
        assert!(p.errors.is_empty());
    });
    measure("format", &text, 3, |t| {
        skel_syntax::format(t).unwrap();
    });
}
