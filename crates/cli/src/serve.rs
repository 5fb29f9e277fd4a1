//! `hashwatch serve`: flags to a service configuration, logs, the runtime.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use std::sync::Arc;

use hashwatch_server::Config;

use crate::db;
use crate::flags::{DbFlags, OutboundFlags, ServeFlags};

pub fn run(
    flags: &ServeFlags,
    db_flags: &DbFlags,
    outbound: &OutboundFlags,
) -> anyhow::Result<ExitCode> {
    let spec = db::spec(db_flags)?;
    let db = spec
        .to_str()
        .context("the --db path is not UTF-8")?
        .to_string();
    let retention = hashwatch_operations::workers::RetentionPolicy {
        keep: flags.retention,
        every: flags.purge_interval,
    };
    retention.check().map_err(|e| anyhow::anyhow!("--{e}"))?;
    if flags.decode_memory_per_request > flags.decode_memory {
        anyhow::bail!(
            "--decode-memory-per-request ({} bytes) is more than --decode-memory ({} bytes): no request could ever hold it",
            flags.decode_memory_per_request,
            flags.decode_memory
        );
    }
    let metrics_token = flags
        .metrics_token_file
        .as_deref()
        .map(metrics_token)
        .transpose()?;
    if !hashwatch_model::valid_tenant(&flags.hotline_tenant) {
        anyhow::bail!("--hotline-tenant must be letters, digits, '_' and '-'");
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if flags.log_json {
        logs.json().init();
    } else {
        logs.init();
    }
    let config = Config {
        db,
        listen: flags.listen,
        max_upload_bytes: flags.max_upload_bytes,
        hash_limits: hashwatch_server::signals::HashLimits {
            max_pixels: flags.max_pixels,
            video: flags.video_limits.limits(),
            memory: hashwatch_media::BudgetLimits {
                total: flags.decode_memory,
                per_request: flags.decode_memory_per_request,
                wait: flags.decode_memory_wait,
            },
        },
        request_timeout: flags.request_timeout,
        rate_limit: flags.rate_limit,
        follow_interval: flags.follow_interval,
        retention,
        flood: hashwatch_operations::workers::FloodPolicy {
            limit: flags.flood_limit,
            window_seconds: flags.flood_window.as_secs(),
            quarantine: flags.flood_quarantine,
        },
        webhooks: hashwatch_outbound::webhook::RetryPolicy {
            attempts: flags.webhook_attempts,
            backoff: flags.webhook_backoff,
        },
        fetch_allow: flags.fetch_allow.clone(),
        threshold: flags.threshold,
        feed_key: match &flags.feed_key {
            Some(path) => Some(std::sync::Arc::new(hashwatch_feed::FeedKey::load(path)?)),
            None => None,
        },
        feeds: hashwatch_feed::pull::PullSchedule {
            every: flags.feed_interval,
            max_lag: flags.feed_max_lag,
        },
        four_eyes: !flags.no_four_eyes,
        public: hashwatch_server::public::PublicLimits {
            reports_per_minute: flags.report_rate,
            concurrency: flags.public_concurrency,
            per_address: flags.public_per_address,
            body_timeout: flags.public_body_timeout,
        },
        auth_failure_rate: flags.auth_failure_rate,
        takedown: hashwatch_hotline::takedown::Schedule {
            notice_interval: flags.notice_interval,
            expiry: flags.takedown_expiry,
            recheck_interval: flags.recheck_interval,
            confirm_removal_after: flags.removal_confirm_after,
        },
        providers: match &flags.providers {
            Some(path) => Some(std::sync::Arc::new(
                hashwatch_hotline::Registry::parse(&read(path)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            )),
            None => None,
        },
        hosts: match &flags.hosts {
            Some(path) => Some(std::sync::Arc::new(
                hashwatch_outbound::StaticHosts::parse(&read(path)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            )),
            None => None,
        },
        hotline_name: flags.hotline_name.clone(),
        access: hashwatch_access::Policy::with_hotline_tenant(&flags.hotline_tenant),
        trusted_proxies: flags.trusted_proxies.clone(),
        outbound_allow: outbound.allow.clone(),
        sessions: hashwatch_operations::sessions::SessionPolicy {
            lifetime: flags.ui_session,
            break_after: i64::from(flags.ui_break_after),
        },
        metrics_token,
        secrets_key: outbound.secrets_key()?.map(Arc::new),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(hashwatch_server::serve(
            config,
            hashwatch_web::routes(),
            |address| {
                // Scripts and tests read the address from this line.
                let mut out = std::io::stdout();
                let _ = writeln!(out, "listening on http://{address}");
                let _ = out.flush();
            },
        ))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The operator's metrics token from its file: one line, long enough not
/// to be guessed.
fn metrics_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading --metrics-token-file {}", path.display()))?;
    let token = text.trim();
    if token.len() < 32 || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        anyhow::bail!(
            "--metrics-token-file {}: the token must be one word of at least 32 characters",
            path.display()
        );
    }
    Ok(token.to_string())
}
