//! Command-line flags. Parsing only: `main` turns them into library objects.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// hashwatch: detect, report and remove known abuse material by hash,
/// without handling the material itself.
#[derive(Debug, Parser)]
#[command(name = "hashwatch", version, about, long_about = None)]
pub struct Flags {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub db: DbFlags,
    #[command(flatten)]
    pub outbound: OutboundFlags,
}

/// Where requests to other machines may go.
#[derive(Debug, Clone, clap::Args)]
pub struct OutboundFlags {
    /// Let requests to other machines (webhooks, feeds, re-checks, fetches)
    /// reach this internal range (CIDR or address; repeat, or separate with
    /// commas). Loopback, private, link-local and similar addresses are
    /// refused otherwise.
    #[arg(long = "outbound-allow", global = true, value_name = "CIDR",
          env = "HASHWATCH_OUTBOUND_ALLOW", value_delimiter = ',', value_parser = parse_net)]
    pub allow: Vec<hashwatch_access::limits::IpNet>,
    /// The key that seals the secrets stored for requests to other
    /// machines (banks' webhook secrets, subscriptions' API keys): a file
    /// of 64 hex digits, made (mode 0600) when it does not exist. Without
    /// it, no such secret is stored.
    #[arg(
        long = "secrets-key-file",
        global = true,
        value_name = "FILE",
        env = "HASHWATCH_SECRETS_KEY_FILE"
    )]
    pub secrets_key_file: Option<PathBuf>,
}

impl OutboundFlags {
    /// The guard these flags make.
    pub fn guard(&self) -> std::sync::Arc<hashwatch_outbound::Guard> {
        std::sync::Arc::new(hashwatch_outbound::Guard::allowing(self.allow.clone()))
    }

    /// The secrets key, read or made.
    pub fn secrets_key(
        &self,
    ) -> Result<Option<hashwatch_access::secrets::SecretsKey>, hashwatch_access::secrets::SecretError>
    {
        self.secrets_key_file
            .as_deref()
            .map(hashwatch_access::secrets::SecretsKey::load_or_create)
            .transpose()
    }
}

/// Where banks are kept.
#[derive(Debug, Clone, clap::Args)]
pub struct DbFlags {
    /// The bank database: a SQLite file, or a postgres:// URL. Default:
    /// $HASHWATCH_DB, else hashwatch.db in the user's data directory.
    #[arg(long, global = true, value_name = "PATH|URL", env = "HASHWATCH_DB")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hash image files: PDQ (bit-exact with Meta's reference), MD5, SHA-1, SHA-256.
    ///
    /// Prints one line per file, in the order given (directories sorted by
    /// name). A file that cannot be read or decoded gets one error line on
    /// stderr and the rest are still hashed.
    ///
    /// Exit status: 0 when every file was hashed, 1 when any failed, 2 on a
    /// usage error.
    Hash(HashFlags),
    /// Manage banks: named sets of known hashes.
    Bank {
        #[command(subcommand)]
        command: BankCommand,
    },
    /// Find files or hashes in banks: PDQ within a Hamming distance, digests
    /// exactly.
    ///
    /// Prints one line per match: query, bank, entry_id, signal_type, hash,
    /// distance (and variant with --dihedral). A query is a file or
    /// directory (hashed on the fly), or a hash: 64 hex digits are matched
    /// as PDQ and as SHA-256, 40 as SHA-1, 32 as MD5; TYPE:HEX names the
    /// type. A negative bank's match suppresses the positive matches of the
    /// same signal type, and says so on stderr.
    ///
    /// Exit status: 0 when something matched, 1 when nothing did, 2 when a
    /// query could not be run (the others still are).
    Match(MatchFlags),
    /// Run the HTTP service: Meta's HMA 2.0 API and hashwatch's own routes.
    ///
    /// Every route but /status/live needs an API key (make the first with
    /// `hashwatch key create --role admin`). The index loads in the
    /// background (/status answers 503 until it is in) and then follows the
    /// database, so changes made through any node sharing it match here
    /// within --follow-interval. SIGINT or SIGTERM finishes in-flight
    /// requests, then stops.
    Serve(Box<ServeFlags>),
    /// Manage API keys: create, list, revoke.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Legal holds: what deletion and retention must keep (as `POST
    /// /holds` places them, audited as `cli`).
    Hold {
        #[command(subcommand)]
        command: HoldCommand,
    },
    /// Signed feeds between instances: keys, subscriptions, opinions.
    ///
    /// A publisher runs `serve --feed-key FILE`; each bank's additions and
    /// revocations are then served, signed, at /feeds/BANK. A subscriber
    /// pins the publisher's public key and pulls the feed into a local bank
    /// (`feed subscribe`, then `serve` keeps pulling every --feed-interval).
    Feed {
        #[command(subcommand)]
        command: FeedCommand,
    },
    /// Hotline tools: canonical URLs, cases, the blocklist, the provider
    /// registry. Reports, triage, notices and appeals run in `serve`
    /// (/hotline/… routes).
    Hotline {
        #[command(subcommand)]
        command: HotlineCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum HotlineCommand {
    /// Print URLs in canonical form with their SHA-256 (what the hotline
    /// files cases under and ISPs match against).
    Canonical {
        #[arg(required = true)]
        urls: Vec<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// List cases, newest first.
    Cases {
        /// Only cases in this state (new, assessed, confirmed, notice_sent,
        /// removed, expired, not_illegal, unreachable, appeal_upheld).
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// Print the blocklist from the database (the service serves it signed).
    Blocklist {
        /// `plain` URLs, or their `sha256`.
        #[arg(long, default_value = "plain", value_parser = ["plain", "sha256"])]
        format: String,
    },
    /// Take a partner hotline's assessments (`https://HOST/hotline/feed`):
    /// each URL it confirmed becomes a case here with its verdict as the
    /// first assessment, for a local supervisor to confirm. Pages are
    /// verified against --public-key; `serve` keeps pulling.
    Subscribe {
        url: String,
        /// The partner's public key (64 hex digits), obtained out of band.
        #[arg(long)]
        public_key: String,
        /// The API key the partner gave this hotline.
        #[arg(long, env = "HASHWATCH_FEED_API_KEY")]
        api_key: Option<String>,
        /// Only record the subscription.
        #[arg(long)]
        no_sync: bool,
    },
    /// Check a provider registry file; with addresses, say who hosts them.
    Providers {
        file: PathBuf,
        ips: Vec<std::net::IpAddr>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedCommand {
    /// Make an Ed25519 signing key; prints the public key to give subscribers.
    Keygen {
        /// Where to write the secret key (never overwritten; mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of a signing key file.
    PublicKey {
        /// The secret key file.
        key: PathBuf,
    },
    /// Subscribe a local bank to a feed and pull it up to date.
    ///
    /// Every page is verified against --public-key before it is read and
    /// applied with the checkpoint in one transaction, so an interrupted
    /// pull resumes where it stopped. Subscribing again with the same URL
    /// updates the bank, key and API key and keeps the checkpoint.
    Subscribe {
        /// The feed: http(s)://HOST/feeds/BANK.
        url: String,
        /// The local bank to fill (created when missing).
        #[arg(long)]
        bank: String,
        /// The publisher's public key (64 hex digits), obtained out of band.
        #[arg(long)]
        public_key: String,
        /// The API key the publisher gave this instance.
        #[arg(long, env = "HASHWATCH_FEED_API_KEY")]
        api_key: Option<String>,
        /// Events per page.
        #[arg(long, default_value_t = 5000)]
        page_size: usize,
        /// Only record the subscription; `feed sync` or `serve` pulls later.
        #[arg(long)]
        no_sync: bool,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Pull every subscription (or one) up to date.
    Sync {
        /// Only this feed URL.
        url: Option<String>,
        /// Events per page.
        #[arg(long, default_value_t = 5000)]
        page_size: usize,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// List subscriptions: checkpoint, last sync, last error.
    Status {
        /// A subscription whose newest page is older than this is stale.
        #[arg(long, default_value = "1day", value_parser = humantime::parse_duration)]
        max_lag: std::time::Duration,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// Tell a publisher what you think of one of its entries.
    Opinion {
        /// The feed: http(s)://HOST/feeds/BANK.
        url: String,
        /// The hash (TYPE:HEX, or bare hex: 64 digits read as PDQ).
        hash: String,
        /// It matched content that is not what the bank is for.
        #[arg(
            long,
            conflicts_with = "true_positive",
            required_unless_present = "true_positive"
        )]
        false_positive: bool,
        /// It matched what the bank is for.
        #[arg(long)]
        true_positive: bool,
        #[arg(long)]
        note: Option<String>,
        /// The API key the publisher gave this instance.
        #[arg(long, env = "HASHWATCH_FEED_API_KEY")]
        api_key: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServeFlags {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub listen: std::net::SocketAddr,

    #[command(flatten)]
    pub video_limits: VideoLimitFlags,
    /// Largest request body in bytes (uploads included).
    #[arg(long, default_value_t = 32 << 20)]
    pub max_upload_bytes: usize,
    /// Largest image decoded, in pixels.
    #[arg(long, default_value_t = 100_000_000)]
    pub max_pixels: u64,
    /// Memory all decodes (photos and video frames) may hold at once,
    /// charged from each file's header before it is decoded (bytes, or
    /// with KiB, MiB, GiB).
    #[arg(long, default_value = "2GiB", value_parser = parse_bytes)]
    pub decode_memory: u64,
    /// Memory one request's decode may hold: more is refused with 413 (at
    /// most --decode-memory). A photo takes 11 bytes a pixel (8-bit) and 8 MiB; a
    /// video 58 bytes a pixel of its frame (8-bit 4:2:0) and 16 MiB.
    #[arg(long, default_value = "2GiB", value_parser = parse_bytes)]
    pub decode_memory_per_request: u64,
    /// How long a decode waits for memory other decodes hold before it is
    /// turned away (503, with Retry-After).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub decode_memory_wait: std::time::Duration,
    /// Time allowed per request.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Requests per second per API key (0: no limit).
    #[arg(long, default_value_t = 2000)]
    pub rate_limit: u32,
    /// How often the index checks the database for changes.
    #[arg(long, default_value = "200ms", value_parser = humantime::parse_duration)]
    pub follow_interval: std::time::Duration,
    /// How long match records and audit entries are kept (at least 90 days).
    #[arg(long, default_value = "365days", value_parser = humantime::parse_duration)]
    pub retention: std::time::Duration,
    /// How often expired records are purged.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub purge_interval: std::time::Duration,
    /// Matches of one hash within --flood-window that flag it for review (0: off).
    #[arg(long, default_value_t = 1000)]
    pub flood_limit: u64,
    /// The flood window.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub flood_window: std::time::Duration,
    /// Stop a flagged hash from matching until a curator confirms it.
    #[arg(long)]
    pub flood_quarantine: bool,
    /// Attempts per webhook delivery before it goes to the dead letters.
    #[arg(long, default_value_t = 8)]
    pub webhook_attempts: u32,
    /// Delay before the first webhook retry; each retry doubles it.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub webhook_backoff: std::time::Duration,
    /// A host `?url=` may fetch from (repeat; `*.example.org` for subdomains).
    /// Without any, fetching is off.
    #[arg(long, value_name = "HOST")]
    pub fetch_allow: Vec<String>,
    /// Default PDQ match threshold (banks may set their own).
    #[arg(long, default_value_t = hashwatch_matcher::DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=hashwatch_matcher::MAX_THRESHOLD as i64))]
    pub threshold: u32,
    /// Sign and serve every bank's feed at /feeds/BANK with this key (from
    /// `hashwatch feed keygen`). Without it, no feeds are published.
    #[arg(long, value_name = "FILE", env = "HASHWATCH_FEED_KEY")]
    pub feed_key: Option<PathBuf>,
    /// Report a subscription stale (metric hashwatch_feeds_stale, a log
    /// line, `stale` in /feeds/subscriptions) when its newest page is older
    /// than this.
    #[arg(long, default_value = "1day", value_parser = humantime::parse_duration)]
    pub feed_max_lag: std::time::Duration,
    /// How often subscriptions (`hashwatch feed subscribe`) are pulled.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub feed_interval: std::time::Duration,
    /// Hotline: list an illegal verdict without a supervisor's second
    /// assessment (four eyes are required by default).
    #[arg(long)]
    pub no_four_eyes: bool,
    /// Hotline: public reports and appeals a minute per client address.
    #[arg(long, default_value_t = 10)]
    pub report_rate: u32,
    /// Failed authentications a minute per client address, after a burst
    /// of 20; past it, 429 without a database lookup (0: no limit, for
    /// fuzzing a server of one's own).
    #[arg(long, default_value_t = 30)]
    pub auth_failure_rate: u32,
    /// Hotline: send a notice again this often while the URL is still up.
    #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
    pub notice_interval: std::time::Duration,
    /// Hotline: re-check open takedowns this often.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub recheck_interval: std::time::Duration,
    /// Hotline: delist a URL only when two re-checks at least this far
    /// apart both find its material gone.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub removal_confirm_after: std::time::Duration,
    /// Hotline: give a takedown up after this long (the URL stays listed).
    #[arg(long, default_value = "90days", value_parser = humantime::parse_duration)]
    pub takedown_expiry: std::time::Duration,
    /// Hotline: the hosting-provider registry (JSON: providers with
    /// abuse contact, jurisdiction, address ranges and ASNs).
    #[arg(long, value_name = "FILE")]
    pub providers: Option<PathBuf>,
    /// Resolve names from this hosts file instead of the system resolver
    /// (for closed networks and tests).
    #[arg(long, value_name = "FILE")]
    pub hosts: Option<PathBuf>,
    /// A proxy (address or CIDR range, repeatable) whose X-Forwarded-For
    /// names the client for per-client limits. Without any, the
    /// connection's address is the client.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_net)]
    pub trusted_proxies: Vec<hashwatch_access::limits::IpNet>,
    /// Public reports and appeals answered at once; more get 503.
    #[arg(long, default_value_t = 32)]
    pub public_concurrency: usize,
    /// Of those, how many one client address may have at once; more get
    /// 503.
    #[arg(long, default_value_t = 4)]
    pub public_per_address: usize,
    /// Time for a public report's or appeal's body to arrive once its
    /// request is let in; slower senders get 408 and free their slot.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub public_body_timeout: std::time::Duration,
    /// Hotline: the tenant the hotline belongs to. Only its keys with the
    /// analyst or supervisor role work cases and appeals.
    #[arg(
        long,
        default_value = "default",
        value_name = "TENANT",
        env = "HASHWATCH_HOTLINE_TENANT"
    )]
    pub hotline_tenant: String,
    /// Hotline: who notices come from.
    #[arg(long, default_value = "hashwatch hotline")]
    pub hotline_name: String,
    /// Web interface (`/ui/`): how long a session lasts after signing in.
    #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
    pub ui_session: std::time::Duration,
    /// Web interface: previews a person may load in one session before
    /// the interface suggests a break (0: never).
    #[arg(long, default_value_t = 25)]
    pub ui_break_after: u32,
    /// A file holding the operator's token for `/metrics` of the whole
    /// instance (sent as 'Authorization: Bearer <token>', at least 32
    /// characters): every tenant's figures and the process's. Without it
    /// a tenant's admins see their own tenant's figures only.
    #[arg(long, env = "HASHWATCH_METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<std::path::PathBuf>,
    /// Log lines as JSON instead of text.
    #[arg(long)]
    pub log_json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain: reports the first entry that was
    /// changed, removed or reordered underneath the service.
    ///
    /// Exit status: 0 when the chain holds, 1 when it is broken.
    Verify {
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
        /// A head an earlier check printed, kept elsewhere: the check fails
        /// when it is no longer an entry's hash (entries after it removed
        /// and the head moved back, or the chain written anew).
        #[arg(long, value_parser = chain_head)]
        kept_head: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key and print its secret (shown once; only its hash is kept).
    Create {
        /// A label: who or what uses the key.
        #[arg(long)]
        name: String,
        /// A role the key holds (repeat, or separate with commas): matcher,
        /// curator, admin (banks); analyst, supervisor (the hotline, for
        /// keys of its tenant); blocklist (SHA-256 of listed URLs),
        /// blocklist-urls (the URLs themselves); partner (another hotline
        /// reading shared assessments). A key holds only what it is given.
        #[arg(long = "role", value_name = "ROLE", default_value = "matcher", value_parser = parse_roles)]
        roles: Vec<hashwatch_model::Roles>,
        /// The tenant whose banks the key sees.
        #[arg(long, default_value = "default")]
        tenant: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// List keys (never their secrets).
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// Revoke a key by id; every node refuses it within a second.
    Revoke { id: i64 },
}

/// What a legal hold keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HoldKindFlag {
    /// A bank, by name (`TENANT:NAME` for another tenant's).
    Bank,
    /// A content item, by id.
    Content,
    /// A match record, by id.
    Match,
    /// A hotline case, by id.
    Case,
}

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place a hold: the bank (content, match, case) cannot be deleted or
    /// purged until it is released.
    Place {
        #[arg(long, value_enum)]
        kind: HoldKindFlag,
        /// The bank's name, or the content, match or case id.
        #[arg(long)]
        target: String,
        /// Why: a case reference.
        #[arg(long)]
        reason: String,
        /// The tenant the hotline belongs to (as `serve --hotline-tenant`):
        /// a case's hold is that tenant's.
        #[arg(
            long,
            default_value = "default",
            value_name = "TENANT",
            env = "HASHWATCH_HOTLINE_TENANT"
        )]
        hotline_tenant: String,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// List holds, released ones too.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// Release a hold by id.
    Release { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum BankCommand {
    /// Create an empty bank.
    Create {
        name: String,
        /// A negative bank: known false positives that suppress matches.
        #[arg(long)]
        negative: bool,
        #[arg(long)]
        description: Option<String>,
    },
    /// List banks with their counts.
    List {
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// Delete a bank with all its entries and history.
    Delete { name: String },
    /// Import a hash list into a bank, all or nothing.
    ///
    /// Reads the output of `hashwatch hash`, a bank export, a plain list of
    /// hex hashes (one per line), or any TSV/CSV with the hash column named
    /// by --column. The whole file is checked first: a bad line names the
    /// file and line and nothing is imported. Values already in the bank are
    /// skipped and counted.
    Import {
        name: String,
        file: PathBuf,
        /// The column holding the hashes.
        #[arg(long)]
        column: Option<String>,
        /// The signal type of the values (default: from the column or the
        /// length; 64 hex digits are PDQ).
        #[arg(long, value_name = "TYPE")]
        signal_type: Option<hashwatch_model::SignalType>,
        /// Category for entries without one.
        #[arg(long)]
        category: Option<String>,
        /// Source for entries without one (default: the file name).
        #[arg(long)]
        source: Option<String>,
        /// Keep the first of repeated values instead of refusing the file.
        #[arg(long)]
        skip_duplicates: bool,
        /// Create the bank if it does not exist.
        #[arg(long)]
        create: bool,
        /// Also say which imported entries linked series of near matches
        /// (within this radius, 31 unless `--series=N`) into one, as `bank
        /// series` would.
        #[arg(long, value_name = "RADIUS", num_args = 0..=1, require_equals = true,
              default_missing_value = "31", value_parser = clap::value_parser!(u32).range(0..=63))]
        series: Option<u32>,
        /// Never show a progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Print a bank's entries (TSV that `bank import` reads back).
    Export {
        name: String,
        /// Include revoked entries, with when and why (tsv and json only).
        #[arg(long)]
        include_revoked: bool,
        #[arg(long, value_enum, default_value_t = ExportFlag::Tsv)]
        format: ExportFlag,
    },
    /// Group a bank's pictures into series: entries linked by chains of
    /// near PDQ matches (or belonging to one item). One line per entry:
    /// its series (named by its oldest entry), how many items the series
    /// has, and, for an entry that linked series that were apart, the
    /// series it merged into its own.
    Series {
        name: String,
        /// Largest PDQ distance that links two entries.
        #[arg(long, value_name = "BITS", default_value_t = hashwatch_matcher::DEFAULT_SERIES_RADIUS,
              value_parser = clap::value_parser!(u32).range(0..=hashwatch_matcher::MAX_THRESHOLD as i64))]
        radius: u32,
        #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
        format: OutputFormat,
    },
    /// Revoke entries by id or hash: they stop matching at once and stay in
    /// the history.
    Revoke {
        name: String,
        /// Entry ids or hashes (TYPE:HEX or bare hex), each revoked in turn.
        #[arg(required = true, value_name = "ENTRY")]
        entries: Vec<String>,
        #[arg(long)]
        reason: String,
    },
}

/// Bank export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFlag {
    /// hashwatch's TSV: every field, reads back in.
    Tsv,
    /// The same fields as JSON lines.
    Json,
    /// Project VIC's VICS JSON, one record per item.
    Vics,
    /// ICSE-style `;`-separated CSV, one row per item.
    Icse,
    /// python-threatexchange's dataset CSV.
    Pytx,
    /// `TYPE VALUE` lines.
    Plain,
}

#[derive(Debug, clap::Args)]
pub struct MatchFlags {
    /// Files, directories or hashes.
    #[arg(required = true, value_name = "PATH|HASH")]
    pub queries: Vec<String>,

    /// Match against this bank (repeatable; default: every bank).
    #[arg(long = "bank", value_name = "NAME")]
    pub banks: Vec<String>,

    /// Largest PDQ Hamming distance that matches.
    #[arg(long, default_value_t = hashwatch_matcher::DEFAULT_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=hashwatch_matcher::MAX_THRESHOLD as i64))]
    pub threshold: u32,

    /// PDQ hashes of images below this quality are reported, not matched.
    #[arg(long, default_value_t = hashwatch_matcher::DEFAULT_QUALITY_FLOOR,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    pub quality_floor: u8,

    /// Also match the 7 rotations and flips of each image, and say which
    /// variant matched (files only).
    #[arg(long)]
    pub dihedral: bool,

    /// Also match edited copies: views of each image (borders and bars
    /// trimmed, the picture inside a screenshot or above a caption, centred
    /// crops, a small turn undone) against the banks' hashes, and each
    /// image against the banks' derived hashes (`hash --robust`). Columns
    /// view and derived say which matched (files only; lookups by hash are
    /// plain).
    #[arg(long)]
    pub robust: bool,

    /// Also say the series of each matched item (column series: named by
    /// its oldest entry; series_size: its items), as `bank series` groups
    /// them.
    #[arg(long)]
    pub series: bool,

    /// Largest PDQ distance that links two entries of a series.
    #[arg(long, value_name = "BITS", default_value_t = hashwatch_matcher::DEFAULT_SERIES_RADIUS,
          value_parser = clap::value_parser!(u32).range(0..=hashwatch_matcher::MAX_THRESHOLD as i64))]
    pub series_radius: u32,

    /// The largest distance of a robust match: views are extra chances for
    /// an unrelated picture to match, so they get less room than --threshold.
    #[arg(long, value_name = "BITS", default_value_t = hashwatch_matcher::DEFAULT_VIEW_THRESHOLD,
          value_parser = clap::value_parser!(u32).range(0..=hashwatch_matcher::MAX_THRESHOLD as i64))]
    pub view_threshold: u32,

    /// One line per query and known item: its nearest match (an exact
    /// digest before PDQ at the same distance), instead of one per signal.
    #[arg(long)]
    pub per_item: bool,

    /// Also print a line for each query that matched nothing (with an
    /// empty bank), so every query is accounted for.
    #[arg(long)]
    pub unmatched: bool,

    #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
    pub format: OutputFormat,

    /// Worker threads for hashing files (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    #[arg(long, value_name = "PIXELS", default_value_t = hashwatch_media::DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,

    #[arg(long)]
    pub no_progress: bool,

    /// Least percentage of a video query's frames found in a banked video
    /// for a match (python-threatexchange's default).
    #[arg(long, value_name = "PERCENT", default_value_t = hashwatch_matcher::DEFAULT_VIDEO_QUERY_PERCENT,
          value_parser = parse_percent)]
    pub video_query_percent: f64,

    /// Least percentage of a banked video's frames found in the query.
    #[arg(long, value_name = "PERCENT", default_value_t = hashwatch_matcher::DEFAULT_VIDEO_COMPARED_PERCENT,
          value_parser = parse_percent)]
    pub video_compared_percent: f64,

    #[command(flatten)]
    pub video: VideoFlags,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a percentage from 0 to 100")),
    }
}

/// What a video may be before it is refused.
#[derive(Debug, clap::Args)]
pub struct VideoLimitFlags {
    /// Refuse videos longer than this many seconds (the container's claim
    /// is checked before decoding, the frames while decoding).
    #[arg(long, value_name = "SECONDS", default_value_t = hashwatch_video::DEFAULT_MAX_SECONDS)]
    pub max_video_seconds: f64,

    /// Refuse videos with more frames than this.
    #[arg(long, value_name = "FRAMES", default_value_t = hashwatch_video::DEFAULT_MAX_FRAMES)]
    pub max_video_frames: u64,

    /// Refuse videos whose frames have more pixels than this.
    #[arg(long, value_name = "PIXELS", default_value_t = hashwatch_video::DEFAULT_MAX_FRAME_PIXELS)]
    pub max_frame_pixels: u64,
}

impl VideoLimitFlags {
    pub fn limits(&self) -> hashwatch_video::Limits {
        hashwatch_video::Limits {
            max_seconds: self.max_video_seconds,
            max_frames: self.max_video_frames,
            max_frame_pixels: self.max_frame_pixels,
        }
    }
}

/// How videos are hashed, and what a video may be.
#[derive(Debug, clap::Args)]
pub struct VideoFlags {
    /// Seconds between hashed video frames (vpdq's option of that name).
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0, value_parser = parse_seconds_per_hash)]
    pub seconds_per_hash: f64,

    #[command(flatten)]
    pub limits: VideoLimitFlags,

    /// Refuse video files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = hashwatch_signals::DEFAULT_MAX_VIDEO_BYTES)]
    pub max_video_size: u64,

    /// Stop decoding one video after this many seconds (default: no limit).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds_per_hash)]
    pub video_time_budget: Option<f64>,
}

impl VideoFlags {
    /// Sets the hasher's video settings.
    pub fn apply(&self, builder: &mut hashwatch_signals::SignalHasherBuilder) {
        builder
            .seconds_per_hash(self.seconds_per_hash)
            .max_video_bytes(self.max_video_size)
            .video_limits(self.limits.limits())
            .video_budget(
                self.video_time_budget
                    .map(std::time::Duration::from_secs_f64),
            );
    }
}

fn parse_seconds_per_hash(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=1e9).contains(&s) => Ok(s),
        _ => Err(format!("{text:?} is not a number of seconds (0 or more)")),
    }
}

#[derive(Debug, clap::Args)]
pub struct HashFlags {
    /// Files and directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format: tab-separated with a header line, or JSON lines.
    #[arg(long, value_enum, default_value_t = OutputFormat::Tsv)]
    pub format: OutputFormat,

    /// Also print the hashes of the image's 7 rotations and flips
    /// (columns pdq_rot90 … pdq_flipminus1, as Meta's reference names them).
    #[arg(long)]
    pub dihedral: bool,

    /// Also print derived hashes for banks that match edited copies
    /// (column pdq_derived: the centred crops, side and corner parts and
    /// trimmed content of each image, as VIEW:HASH:QUALITY). `bank import`
    /// keeps them as derived hashes of the item.
    #[arg(long)]
    pub robust: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Refuse images whose header claims more pixels than this.
    #[arg(long, value_name = "PIXELS", default_value_t = hashwatch_media::DEFAULT_MAX_PIXELS)]
    pub max_pixels: u64,

    /// Refuse files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = hashwatch_signals::DEFAULT_MAX_FILE_BYTES)]
    pub max_file_size: u64,

    /// Rotate and flip images by their EXIF orientation tag before hashing.
    /// Off by default, as in HMA and python-threatexchange, so hashes match
    /// theirs.
    #[arg(long)]
    pub exif_orientation: bool,

    /// Follow symbolic links when searching directories.
    #[arg(long, short = 'L')]
    pub follow: bool,

    /// Never show a progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub video: VideoFlags,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Tab-separated values with a header line.
    Tsv,
    /// One JSON object per line.
    Json,
}

/// `--role`: one role or several separated by commas.
fn parse_roles(text: &str) -> Result<hashwatch_model::Roles, String> {
    hashwatch_model::Roles::parse(text).map_err(|bad| {
        let names: Vec<&str> = hashwatch_model::Role::ALL
            .iter()
            .map(|r| r.name())
            .collect();
        format!("{bad:?} is not a role: use {}", names.join(", "))
    })
}

/// `--trusted-proxy`: a CIDR range or one address.
fn parse_net(text: &str) -> Result<hashwatch_access::limits::IpNet, String> {
    text.parse()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(Into::into))
        .map_err(|_| format!("{text:?} is not an address or CIDR range"))
}

/// A head of the audit chain: a SHA-256 in 64 lowercase hex digits.
fn chain_head(text: &str) -> Result<String, String> {
    if text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(text.to_string())
    } else {
        Err("a head is 64 lowercase hex digits, as `hashwatch audit verify` prints it".into())
    }
}

/// A size in bytes: a number, optionally followed by KiB, MiB or GiB.
fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let scale: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        other => return Err(format!("unknown unit {other:?}: use KiB, MiB or GiB")),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("{text:?} is not a size in bytes"))
}
