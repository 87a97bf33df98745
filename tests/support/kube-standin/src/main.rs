//! `skel-kube-standin [--port N] [--kubeconfig PATH] [--token T]`: runs the stand-in API server
//! until killed, printing its URL (and writing a kubeconfig for it when asked).

use std::net::SocketAddr;
use std::path::PathBuf;

fn main() {
    let mut port = 0u16;
    let mut kubeconfig: Option<PathBuf> = None;
    let mut options = skel_kube_standin::Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(p)) => port = p.parse().unwrap_or(0),
            ("--kubeconfig", Some(p)) => kubeconfig = Some(PathBuf::from(p)),
            ("--token", Some(t)) => options.token = Some(t),
            _ => {
                eprintln!("usage: skel-kube-standin [--port N] [--kubeconfig PATH] [--token T]");
                std::process::exit(2);
            }
        }
    }
    let token = options.token.clone();
    let standin =
        match skel_kube_standin::start_on(options, SocketAddr::from(([127, 0, 0, 1], port))) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skel-kube-standin: cannot listen: {e}");
                std::process::exit(1);
            }
        };
    if let Some(path) = kubeconfig {
        if let Err(e) = standin.write_kubeconfig(&path, token.as_deref()) {
            eprintln!("skel-kube-standin: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
    println!("{}", standin.url());
    loop {
        std::thread::park();
    }
}
