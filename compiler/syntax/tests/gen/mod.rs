//! A deterministic generator of valid-looking HCL: expressions, templates, heredocs, blocks,
//! with comments, odd spacing and newlines where HCL ignores them; plus byte mutations.

#![allow(dead_code)]

pub struct Gen {
    state: u64,
}

const IDENTS: &[&str] = &[
    "a",
    "b",
    "var",
    "local",
    "each",
    "count",
    "_x",
    "for",
    "in",
    "if",
    "true_",
    "nullable",
    "x-y",
    "é",
    "aws_instance",
    "endif",
    "else",
];
const OPS: &[&str] = &[
    "||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%",
];
const TEXTS: &[&str] = &[
    "",
    "a",
    "hello world",
    "$${x}",
    "%%{y}",
    "$$",
    "%",
    "$",
    "\\n",
    "\\\"",
    "\\\\",
    "\\u00e9",
    "\\U0001F600",
    "é😀",
    " ",
    "\\t",
    "a\\rb",
    "{",
    "}",
    "\\uD800",
];
const GAPS: &[&str] = &[
    "",
    " ",
    "  ",
    "\t",
    " /* c */ ",
    " # c\n",
    " // c\n",
    "\n",
    "/**/",
];

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen { state: seed | 1 }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn ident(&mut self) -> String {
        self.pick(IDENTS).to_string()
    }

    /// Spacing between tokens where newlines are ignored (inside brackets).
    fn sp(&mut self) -> &'static str {
        if self.chance(70) {
            if self.chance(80) {
                " "
            } else {
                ""
            }
        } else {
            self.pick(GAPS)
        }
    }

    /// Spacing where a newline would matter.
    fn hsp(&mut self) -> &'static str {
        match self.below(10) {
            0 => "",
            1 => " /* c */ ",
            2 => "\t",
            _ => " ",
        }
    }

    pub fn expr(&mut self, depth: u32) -> String {
        let mut s = self.binary(depth);
        if depth > 0 && self.chance(15) {
            let then = self.expr(depth - 1);
            let other = self.binary(depth - 1);
            let (a, b, c, d) = (self.sp(), self.sp(), self.sp(), self.sp());
            s = format!("{s}{a}?{b}{then}{c}:{d}{other}");
        }
        s
    }

    fn binary(&mut self, depth: u32) -> String {
        let mut s = self.unary(depth);
        while depth > 0 && self.chance(25) {
            let op = self.pick(OPS);
            let rhs = self.unary(depth - 1);
            let (a, b) = (self.sp(), self.sp());
            s = format!("{s}{a}{op}{b}{rhs}");
        }
        s
    }

    fn unary(&mut self, depth: u32) -> String {
        let mut s = String::new();
        while self.chance(8) {
            s.push(if self.chance(50) { '-' } else { '!' });
        }
        s + &self.postfix(depth)
    }

    fn postfix(&mut self, depth: u32) -> String {
        let mut s = self.primary(depth);
        while self.chance(25) {
            match self.below(7) {
                0 | 1 => s = format!("{s}.{}", self.ident()),
                2 => s = format!("{s}.{}", self.below(12)),
                3 => s += "[*]",
                4 => s += ".*",
                _ => {
                    let i = if depth > 0 {
                        self.expr(depth - 1)
                    } else {
                        self.below(3).to_string()
                    };
                    s = format!("{s}[{i}]");
                }
            }
        }
        s
    }

    fn list(&mut self, depth: u32, max: usize) -> Vec<String> {
        (0..self.below(max + 1)).map(|_| self.expr(depth)).collect()
    }

    fn primary(&mut self, depth: u32) -> String {
        let d = depth.saturating_sub(1);
        let choice = if depth == 0 {
            self.below(6)
        } else {
            self.below(16)
        };
        match choice {
            0 => ["0", "1", "1.5", "1e3", "2.5E-3", "10", "3.0e+2"][self.below(7)].to_string(),
            1 => ["true", "false", "null"][self.below(3)].to_string(),
            2..=4 => self.ident(),
            5 => self.quoted(0),
            6 => self.quoted(d),
            7 => {
                let items = self.list(d, 3);
                let trail = if !items.is_empty() && self.chance(30) {
                    ","
                } else {
                    ""
                };
                let (a, b) = (self.sp(), self.sp());
                format!("[{a}{}{trail}{b}]", items.join(&format!(",{}", self.sp())))
            }
            8 => self.object(d),
            9 => {
                let (a, b) = (self.sp(), self.sp());
                format!("({a}{}{b})", self.expr(d))
            }
            10 => {
                let name = if self.chance(10) {
                    "provider::p::f".to_string()
                } else {
                    self.ident()
                };
                let args = self.list(d, 3);
                let tail = if args.is_empty() {
                    ""
                } else {
                    ["", ",", "..."][self.below(3)]
                };
                let (a, b) = (self.sp(), self.sp());
                format!("{name}({a}{}{tail}{b})", args.join(", "))
            }
            11 | 12 => self.for_expr(d),
            13 => self.heredoc(d),
            14 => format!("-{}", self.below(100)),
            _ => format!("{}.{}", self.ident(), self.ident()),
        }
    }

    fn object(&mut self, d: u32) -> String {
        let n = self.below(4);
        let mut s = String::from("{");
        if self.chance(40) {
            s.push('\n');
        }
        for i in 0..n {
            let key = match self.below(6) {
                0 => format!("\"{}\"", self.pick(TEXTS)),
                1 => ["true", "null", "false"][self.below(3)].to_string(),
                2 => format!("({})", self.expr(d)),
                _ => self.ident(),
            };
            let sep = if self.chance(30) { ":" } else { "=" };
            let value = self.expr(d);
            let (a, b) = (self.hsp(), self.hsp());
            s += &format!("{a}{key}{b}{sep} {value}");
            if i + 1 < n || self.chance(30) {
                s += [",", "\n", ",\n", "\n\n", ", "][self.below(5)];
            }
        }
        if self.chance(30) {
            s.push('\n');
        }
        s + "}"
    }

    fn for_expr(&mut self, d: u32) -> String {
        let vars = if self.chance(50) {
            format!("{}, {}", self.ident(), self.ident())
        } else {
            self.ident()
        };
        let coll = self.expr(d);
        let cond = if self.chance(30) {
            format!(" if {}", self.expr(d))
        } else {
            String::new()
        };
        let (a, b) = (self.sp(), self.sp());
        if self.chance(50) {
            format!("[{a}for {vars} in {coll} : {}{cond}{b}]", self.expr(d))
        } else {
            let dots = if self.chance(30) { "..." } else { "" };
            format!(
                "{{{a}for {vars} in {coll} : {} => {}{dots}{cond}{b}}}",
                self.expr(d),
                self.expr(d)
            )
        }
    }

    fn template_parts(&mut self, d: u32, quoted: bool) -> String {
        let mut s = String::new();
        for _ in 0..self.below(5) {
            let l = if self.chance(20) { "~" } else { "" };
            let r = if self.chance(20) { "~" } else { "" };
            match self.below(8) {
                0..=3 => {
                    let t = self.pick(TEXTS);
                    if quoted {
                        s += t;
                    } else {
                        s += &t.replace('\\', "");
                    }
                }
                4 | 5 => s += &format!("${{{l} {} {r}}}", self.expr(d)),
                6 => {
                    let inner = self.template_parts(d.saturating_sub(1), quoted);
                    let other = if self.chance(50) {
                        format!("%{{else}}{}", self.pick(TEXTS).replace('\\', ""))
                    } else {
                        String::new()
                    };
                    s += &format!("%{{{l}if {}{r}}}{inner}{other}%{{ endif }}", self.expr(d));
                }
                _ => {
                    let inner = self.template_parts(d.saturating_sub(1), quoted);
                    s += &format!(
                        "%{{for {} in {} {r}}}{inner}%{{{l}endfor}}",
                        self.ident(),
                        self.expr(d)
                    );
                }
            }
            if !quoted && self.chance(40) {
                s += ["\n", "  \n", "\n    ", "\r\n"][self.below(4)];
            }
        }
        s
    }

    fn quoted(&mut self, d: u32) -> String {
        format!("\"{}\"", self.template_parts(d, true))
    }

    fn heredoc(&mut self, d: u32) -> String {
        let marker = ["EOT", "EOF", "_X-1"][self.below(3)];
        let indent = if self.chance(50) { "-" } else { "" };
        let mut body = String::new();
        for _ in 0..self.below(4) {
            let pad = ["", "  ", "    ", "\t"][self.below(4)];
            body += &format!(
                "{pad}{}\n",
                self.template_parts(d, false).replace('\n', " ")
            );
        }
        let pad = if indent == "-" { "  " } else { "" };
        format!("<<{indent}{marker}\n{body}{pad}{marker}\n")
    }

    fn item(&mut self, depth: u32) -> String {
        let name = self.ident();
        if depth == 0 || self.chance(70) {
            let e = self.expr(3);
            let nl = if e.ends_with('\n') { "" } else { "\n" };
            let (a, b) = (self.hsp(), self.hsp());
            return format!("{name}{a}={b}{e}{nl}");
        }
        let mut labels = String::new();
        for _ in 0..self.below(3) {
            if self.chance(60) {
                labels += &format!(" \"{}\"", self.pick(TEXTS));
            } else {
                labels += &format!(" {}", self.ident());
            }
        }
        let mut body = String::new();
        for _ in 0..self.below(4) {
            body += &self.item(depth - 1);
            if self.chance(20) {
                body += "\n  # comment\n";
            }
        }
        if self.chance(10) {
            format!("{name}{labels} {{}}\n")
        } else {
            format!("{name}{labels} {{\n{body}}}\n")
        }
    }

    pub fn file(&mut self) -> String {
        let mut s = String::new();
        for _ in 0..1 + self.below(3) {
            s += &self.item(2);
            if self.chance(30) {
                s.push('\n');
            }
        }
        s
    }

    /// `text` with one byte-level edit: a deletion, a duplication or an inserted token.
    pub fn mutate(&mut self, text: &str) -> String {
        if text.is_empty() {
            return String::new();
        }
        let mut at = self.below(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let next = text[at..].chars().next().map_or(0, char::len_utf8);
        let ins = [
            "{", "}", "(", ")", "[", "]", "\"", "\n", "${", "%{", "~", "?", ":", ",", ".",
        ];
        match self.below(3) {
            0 => format!("{}{}", &text[..at], &text[at + next..]),
            1 => format!("{}{}", &text[..at + next], &text[at..]),
            _ => format!("{}{}{}", &text[..at], self.pick(&ins), &text[at..]),
        }
    }
}
