//! Writes distinct encrypted requests for the load test, one `signature<TAB>body` line each, as the
//! WhatsApp client would send them to the sample flow (`data_exchange` from `APPOINTMENT`, a fresh AES
//! key and IV each), signed with an app secret.
//!
//! ```sh
//! cargo run --release -p flows-hyper-server --example load-bodies -- PUBLIC_KEY.pem APP_SECRET COUNT > bodies.tsv
//! ```

use std::io::Write as _;

use flows_router::{Action, FlowRequest};
use whatsapp_flows_crypto::{PublicKey, sign};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: load-bodies PUBLIC_KEY.pem APP_SECRET COUNT";
    let key = PublicKey::from_pem(&std::fs::read_to_string(args.next().ok_or(usage)?)?)?;
    let secret = args.next().ok_or(usage)?;
    let count: usize = args.next().ok_or(usage)?.parse()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..count {
        let request = FlowRequest::new(Action::DataExchange)
            .with_screen("APPOINTMENT")
            .with("trigger", "department_selected")
            .with("department", "beauty")
            .with_flow_token(format!("load-{i}"));
        let sent = key.encrypt_request_json(&request)?;
        let body = sent.body();
        writeln!(out, "{}\t{body}", sign(secret.as_bytes(), body.as_bytes()))?;
    }
    out.flush()?;
    Ok(())
}
