//! moto's request recorder, for what moto accepts but does not keep: the form bodies of the
//! requests sent while a [`Recorder`] lives (recording stops when it is dropped).

use std::process::Command;

/// moto's request recorder: requests sent while it runs, as (action, decoded form body).
pub struct Recorder(u16);

impl Recorder {
    fn post(&self, what: &str) {
        let status = Command::new("curl")
            .args(["-sf", "-o", "/dev/null", "-X", "POST"])
            .arg(format!(
                "http://127.0.0.1:{}/moto-api/recorder/{what}",
                self.0
            ))
            .status()
            .expect("curl");
        assert!(status.success(), "moto recorder {what}");
    }

    pub fn start(port: u16) -> Recorder {
        let r = Recorder(port);
        r.post("reset-recording");
        r.post("start-recording");
        r
    }

    /// The form bodies of the `action` requests recorded so far.
    pub fn bodies(&self, action: &str) -> Vec<String> {
        use base64::Engine as _;
        let out = Command::new("curl")
            .arg("-sf")
            .arg(format!(
                "http://127.0.0.1:{}/moto-api/recorder/download-recording",
                self.0
            ))
            .output()
            .expect("curl");
        assert!(out.status.success(), "moto recorder download");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|row| {
                let body = row.get("body")?.as_str()?.to_string();
                if row.get("body_encoded").and_then(|b| b.as_bool()) == Some(true) {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(body)
                        .ok()?;
                    Some(String::from_utf8_lossy(&raw).into_owned())
                } else {
                    Some(body)
                }
            })
            .map(|b| b.replace("%2F", "/").replace("%24", "$"))
            .filter(|b| b.contains(&format!("Action={action}&")))
            .collect()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.post("stop-recording");
    }
}
