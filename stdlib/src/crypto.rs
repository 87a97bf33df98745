//! Hash and UUID functions: md5, sha1, sha256, sha512, base64sha256, base64sha512, uuid.

use base64::Engine;
use sha2::Digest;
use skel_value::{Type, Value};

use crate::util::{func, p, ret_string, str_arg};
use crate::Function;

fn hex(bytes: &[u8]) -> Value {
    Value::String(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub(crate) fn functions() -> Vec<Function> {
    let s = || vec![p("str", Type::String)];
    let mut uuid = func(
        "uuid",
        "Generates a random UUID (a new one on every call).",
        vec![],
        ret_string,
        |_, _| Ok(Value::String(uuid::Uuid::new_v4().to_string())),
    );
    uuid.impure = true;
    vec![
        func(
            "base64sha256",
            "Computes the SHA-256 hash of a string and encodes it as Base64.",
            s(),
            ret_string,
            |a, _| Ok(b64(&sha2::Sha256::digest(str_arg(a, 0)?))),
        ),
        func(
            "base64sha512",
            "Computes the SHA-512 hash of a string and encodes it as Base64.",
            s(),
            ret_string,
            |a, _| Ok(b64(&sha2::Sha512::digest(str_arg(a, 0)?))),
        ),
        func(
            "md5",
            "Computes the MD5 hash of a string as hex.",
            s(),
            ret_string,
            |a, _| Ok(hex(&md5::Md5::digest(str_arg(a, 0)?))),
        ),
        func(
            "sha1",
            "Computes the SHA-1 hash of a string as hex.",
            s(),
            ret_string,
            |a, _| Ok(hex(&sha1::Sha1::digest(str_arg(a, 0)?))),
        ),
        func(
            "sha256",
            "Computes the SHA-256 hash of a string as hex.",
            s(),
            ret_string,
            |a, _| Ok(hex(&sha2::Sha256::digest(str_arg(a, 0)?))),
        ),
        func(
            "sha512",
            "Computes the SHA-512 hash of a string as hex.",
            s(),
            ret_string,
            |a, _| Ok(hex(&sha2::Sha512::digest(str_arg(a, 0)?))),
        ),
        uuid,
    ]
}

#[cfg(test)]
mod tests {
    use crate::{call_by_name, NoContext};
    use skel_value::Value;

    fn call(name: &str, v: &str) -> String {
        match call_by_name(name, &[Value::string(v)], &NoContext) {
            Ok(Value::String(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hashes() {
        assert_eq!(
            call("md5", "hello world"),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        assert_eq!(
            call("sha1", "hello world"),
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        );
        assert_eq!(
            call("sha256", "hello world"),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            call("base64sha256", "hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(call("sha512", "").len(), 128);
        assert_eq!(call("base64sha512", "").len(), 88);
    }

    #[test]
    fn uuid_is_random() {
        let a = call_by_name("uuid", &[], &NoContext).unwrap();
        let b = call_by_name("uuid", &[], &NoContext).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().map(str::len), Some(36));
        assert!(crate::lookup("uuid").unwrap().impure);
    }
}
