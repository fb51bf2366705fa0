//! `orderbridge-sandbox`: runs a fake marketplace, or plays a marketplace sending orders, from
//! the command line. Arguments are parsed by hand: a few flags do not need a parser crate.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use orderbridge_sandbox::adm::ORDERS_PATH;
use orderbridge_sandbox::faults::FAULTS_PATH;
use orderbridge_sandbox::feedamp::{
    CONTROL_ORDERS_PATH, EXPIRE_TOKENS_PATH, NEW_ORDERS_PATH, ORDERS_PATH as FEEDAMP_ORDERS_PATH,
    REQUESTS_PATH, TOKEN_FAULTS_PATH, TOKEN_PATH,
};
use orderbridge_sandbox::{
    AdmOrderGenerator, AdmSandbox, AdmSandboxConfig, FeedampSandbox, FeedampSandboxConfig,
    WebhookSender,
};
use serde_json::json;

const HELP: &str = "\
orderbridge-sandbox: fake marketplace servers for tests, benchmarks and demos

USAGE:
    orderbridge-sandbox <COMMAND> [OPTIONS]

COMMANDS:
    adm           Serve a fake ADM Create Fulfillment endpoint until Ctrl-C
    adm-orders    Send generated ADM orders/create webhooks to orderbridge
    feedamp       Serve a fake FeedAMP v1 Order API until Ctrl-C
    help          Print this help (also: --help, <COMMAND> --help)

adm OPTIONS:
    --api-key KEY              The key callers must send (required)
    --listen ADDR              Address to bind [default: 127.0.0.1:8081]
    --api-key-header NAME      Also take the bare key in this header
    --fulfillment-path PATH    Create Fulfillment path [default: /fulfillments]
    --accept-unknown-orders    Accept fulfillments for orders never registered
                               (otherwise they get 404 Order Not Found)
    --allow-unknown-fields     Accept body fields seed 002 does not name

    Control paths (no key): POST /_sandbox/faults with a JSON fault plan, e.g.
    {\"server_errors\": 3, \"drop_connections\": 1, \"too_many_requests\": 2,
     \"retry_after_secs\": 5, \"unauthorized\": 1, \"forbidden\": 1, \"delay_ms\": 2000,
     \"delay_requests\": 1}; modes until set off: {\"refuse_credentials\": 401 | 403 | null},
    {\"hang\": true | false};
    GET/DELETE /_sandbox/faults; POST /_sandbox/orders {\"id\", \"line_items\": [{\"sku\",
    \"quantity\"}]}; GET /_sandbox/fulfillments; GET /_sandbox/requests; POST /_sandbox/reset.

adm-orders OPTIONS:
    --webhook URL              orderbridge's ADM webhook URL (required)
    --api-key KEY              The webhook key (required)
    --count N                  How many orders to send [default: 10]
    --seed S                   Seed of the generated orders [default: 1]
    --api-key-header NAME      Send the bare key in this header instead of Authorization
    --signing-secret SECRET    Sign each body (HMAC-SHA256, base64)
    --signature-header NAME    Header of the signature [default: x-adm-signature]
    --register-with URL        Also register each order with a fake ADM at URL, so that
                               it knows the order when fulfillments arrive

feedamp OPTIONS:
    --username U               HTTP Basic username of the token route (required)
    --password P               HTTP Basic password of the token route (required)
    --client-id C              The `client` header data routes require (required)
    --listen ADDR              Address to bind [default: 127.0.0.1:8082]
    --orders N                 Generated orders in the feed at start [default: 10]
    --seed S                   Seed of those orders [default: 1]
    --token-ttl-secs T         Token lifetime in seconds [default: 3600]
    --max-live-tokens N        Live tokens allowed at once [default: 100]

    Routes: GET /api/v1/get_token (Basic); with headers `token` and `client`:
    GET /api/v1/orders and /api/v1/orders/new (?limit=50..200&cursor=&include_raw=),
    GET /api/v1/orders/{id}, PUT /api/v1/orders/{id}/confirm, PUT /api/v1/orders/{id}/fulfill,
    POST /api/v1/orders/{id}/refund.
    Control paths (no credentials): POST/GET/DELETE /_sandbox/faults (data routes) and
    /_sandbox/token-faults (token route) with a fault plan as for adm; POST /_sandbox/orders
    {\"count\": n, \"seed\": s}; GET /_sandbox/orders; POST /_sandbox/orders/{id}/cancel,
    /pause and /release (the marketplace cancels, pauses, releases); POST /_sandbox/expire-tokens;
    GET /_sandbox/requests; GET /_sandbox/refunds; POST /_sandbox/reset.
";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            eprintln!("run `orderbridge-sandbox --help` for usage");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        print!("{HELP}");
        return Ok(());
    };
    if rest.iter().any(|arg| arg == "--help" || arg == "-h") {
        print!("{HELP}");
        return Ok(());
    }
    match command.as_str() {
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        "adm" => serve_adm(&Flags::parse(rest)?).await,
        "adm-orders" => send_adm_orders(&Flags::parse(rest)?).await,
        "feedamp" => serve_feedamp(&Flags::parse(rest)?).await,
        other => bail!("unknown command {other:?}"),
    }
}

/// `--name value` options and `--name` switches, in the order given.
#[derive(Debug, Default)]
struct Flags {
    values: Vec<(String, String)>,
    switches: Vec<String>,
}

/// The options that are switches (take no value).
const SWITCHES: [&str; 2] = ["--accept-unknown-orders", "--allow-unknown-fields"];

impl Flags {
    fn parse(args: &[String]) -> Result<Self> {
        let mut flags = Self::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if !arg.starts_with("--") {
                bail!("unexpected argument {arg:?}");
            }
            if let Some((name, value)) = arg.split_once('=') {
                flags.values.push((name.to_owned(), value.to_owned()));
            } else if SWITCHES.contains(&arg.as_str()) {
                flags.switches.push(arg.clone());
            } else {
                let value = args
                    .next()
                    .with_context(|| format!("{arg} needs a value"))?;
                flags.values.push((arg.clone(), value.clone()));
            }
        }
        Ok(flags)
    }

    /// Fails on any option not in `known`.
    fn only(&self, known: &[&str]) -> Result<()> {
        let names = self
            .values
            .iter()
            .map(|(name, _)| name)
            .chain(&self.switches);
        for name in names {
            if !known.contains(&name.as_str()) {
                bail!("unknown option {name}");
            }
        }
        Ok(())
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(flag, _)| flag == name)
            .map(|(_, value)| value.as_str())
    }

    fn required(&self, name: &str) -> Result<&str> {
        self.value(name)
            .with_context(|| format!("{name} is required"))
    }

    fn number(&self, name: &str, default: u64) -> Result<u64> {
        self.value(name).map_or(Ok(default), |value| {
            value
                .parse()
                .with_context(|| format!("{name} must be a whole number, not {value:?}"))
        })
    }

    fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|flag| flag == name)
    }
}

async fn serve_adm(flags: &Flags) -> Result<()> {
    flags.only(&[
        "--api-key",
        "--listen",
        "--api-key-header",
        "--fulfillment-path",
        "--accept-unknown-orders",
        "--allow-unknown-fields",
    ])?;
    let listen: SocketAddr = flags
        .value("--listen")
        .unwrap_or("127.0.0.1:8081")
        .parse()
        .context("--listen must be an address such as 127.0.0.1:8081")?;
    let mut config = AdmSandboxConfig::new(flags.required("--api-key")?)
        .with_listen(listen)
        .with_accept_unknown_orders(flags.switch("--accept-unknown-orders"))
        .with_reject_unknown_fields(!flags.switch("--allow-unknown-fields"));
    if let Some(header) = flags.value("--api-key-header") {
        config = config.with_api_key_header(header);
    }
    if let Some(path) = flags.value("--fulfillment-path") {
        config = config.with_fulfillment_path(path);
    }
    let sandbox = AdmSandbox::start(config)
        .await
        .with_context(|| format!("starting the fake ADM on {listen}"))?;
    println!("fake ADM listening on {}", sandbox.base_url());
    println!("  Create Fulfillment: POST {}", sandbox.fulfillment_url());
    println!("  faults:             {}{FAULTS_PATH}", sandbox.base_url());
    println!("  register orders:    {}{ORDERS_PATH}", sandbox.base_url());
    println!("press Ctrl-C to stop");
    stop_signal().await?;
    let accepted = sandbox.accepted_count();
    sandbox.shutdown().await;
    println!("stopped; {accepted} fulfillment(s) accepted");
    Ok(())
}

async fn serve_feedamp(flags: &Flags) -> Result<()> {
    flags.only(&[
        "--username",
        "--password",
        "--client-id",
        "--listen",
        "--orders",
        "--seed",
        "--token-ttl-secs",
        "--max-live-tokens",
    ])?;
    let listen: SocketAddr = flags
        .value("--listen")
        .unwrap_or("127.0.0.1:8082")
        .parse()
        .context("--listen must be an address such as 127.0.0.1:8082")?;
    let ttl = flags.number("--token-ttl-secs", 3600)?;
    let max_live = flags.number(
        "--max-live-tokens",
        FeedampSandboxConfig::DEFAULT_MAX_LIVE_TOKENS as u64,
    )?;
    let config = FeedampSandboxConfig::new(
        flags.required("--username")?,
        flags.required("--password")?,
        flags.required("--client-id")?,
    )
    .with_listen(listen)
    .with_token_ttl(std::time::Duration::from_secs(ttl))
    .with_max_live_tokens(usize::try_from(max_live).context("--max-live-tokens is too large")?);
    let orders = usize::try_from(flags.number("--orders", 10)?).context("--orders is too large")?;
    let seed = flags.number("--seed", 1)?;
    let sandbox = FeedampSandbox::start(config)
        .await
        .with_context(|| format!("starting the fake FeedAMP on {listen}"))?;
    sandbox
        .add_generated(orders, seed)
        .context("adding the generated orders")?;
    let base = sandbox.base_url();
    println!("fake FeedAMP listening on {base}");
    println!("  token:        GET {base}{TOKEN_PATH}");
    println!("  new orders:   GET {base}{FEEDAMP_ORDERS_PATH} or {base}{NEW_ORDERS_PATH}");
    println!("  orders in the feed: {orders} (seed {seed})");
    println!("  faults:       {base}{FAULTS_PATH} (token route: {base}{TOKEN_FAULTS_PATH})");
    println!("  add orders:   POST {base}{CONTROL_ORDERS_PATH}");
    println!("  expire:       POST {base}{EXPIRE_TOKENS_PATH}");
    println!("  requests:     GET {base}{REQUESTS_PATH}");
    println!("press Ctrl-C to stop");
    stop_signal().await?;
    let confirmed = sandbox
        .order_ids()
        .iter()
        .filter(|id| sandbox.confirm_count(id) > 0)
        .count();
    let requests = sandbox.requests().len();
    let busiest = sandbox.requests_per_second_max();
    sandbox.shutdown().await;
    println!(
        "stopped; {confirmed} order(s) confirmed, {requests} request(s), at most {busiest} in \
         one second"
    );
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("listening for Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("listening for Ctrl-C")
    }
}

async fn send_adm_orders(flags: &Flags) -> Result<()> {
    flags.only(&[
        "--webhook",
        "--api-key",
        "--count",
        "--seed",
        "--api-key-header",
        "--signing-secret",
        "--signature-header",
        "--register-with",
    ])?;
    let webhook = flags.required("--webhook")?;
    let mut sender = WebhookSender::new(webhook, flags.required("--api-key")?)?;
    if let Some(header) = flags.value("--api-key-header") {
        sender = sender.with_api_key_header(header)?;
    }
    if let Some(secret) = flags.value("--signing-secret") {
        sender = sender.with_signing_secret(secret);
    }
    if let Some(header) = flags.value("--signature-header") {
        sender = sender.with_signature_header(header)?;
    }
    let count = flags.number("--count", 10)?;
    let seed = flags.number("--seed", 1)?;
    let register = flags
        .value("--register-with")
        .map(|base| format!("{}{ORDERS_PATH}", base.trim_end_matches('/')));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let created_from = chrono::Utc::now();
    let mut generator = AdmOrderGenerator::new(seed).created_from(created_from);
    let (mut ok, mut other) = (0_u64, 0_u64);
    for _ in 0..count {
        let order = generator.next_order();
        if let Some(url) = &register {
            let lines: Vec<_> = order
                .lines
                .iter()
                .map(|(sku, quantity)| json!({"sku": sku, "quantity": quantity}))
                .collect();
            let registered = http
                .post(url)
                .json(&json!({"id": order.id, "line_items": lines}))
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .with_context(|| format!("registering order {} at {url}", order.id))?;
            drop(registered);
        }
        let reply = sender
            .send_order(&order)
            .await
            .with_context(|| format!("sending order {} to {webhook}", order.id))?;
        if reply.status == 200 {
            ok += 1;
        } else {
            other += 1;
        }
        println!("order {}: {} {}", order.id, reply.status, reply.body);
    }
    println!("sent {count} order(s): {ok} answered 200, {other} otherwise");
    Ok(())
}
