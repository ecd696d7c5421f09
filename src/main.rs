//! The `omnigate` command: serves the gateway by default.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use omnigate::cli::{self, ClientCmd, Target};
use omnigate::config::{LogFormat, Settings};
use omnigate::startup::{self, Application};
use tracing_subscriber::EnvFilter;

// Webhook bodies and JSON trees are allocated on request threads and freed on the store's
// writer thread; mimalloc's per-thread free lists make that cheap where glibc's arenas contend.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "omnigate", version, about = "Omnichannel connector gateway")]
struct Cli {
    /// Directory with default.toml and {OMNIGATE_ENV}.toml.
    #[arg(
        long,
        global = true,
        default_value = "config",
        env = "OMNIGATE_CONFIG_DIR"
    )]
    config_dir: PathBuf,
    #[command(flatten)]
    target: Target,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Create or upgrade the data directory's schema, then exit.
    Migrate,
    /// Copy the embedded store to a new file while the gateway runs (SQLite's online backup).
    Backup {
        /// The file to write; must not exist.
        file: PathBuf,
    },
    /// Put a backup into the configured data directory, which must hold no store yet.
    Restore {
        /// A file written by `omnigate backup`.
        file: PathBuf,
    },
    /// A local helpdesk to try against: verifies each delivery's signature, prints the event.
    Sink(cli::sink::SinkArgs),
    #[command(flatten)]
    Client(ClientCmd),
}

fn init_tracing(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: a log redirected to a file stays plain text.
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    match settings.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let command = match command {
        Command::Client(cmd) => {
            return std::process::ExitCode::from(cli::run(cli.target, cmd) as u8)
        }
        Command::Sink(args) => return std::process::ExitCode::from(cli::sink::run(args) as u8),
        other => other,
    };
    let settings = match Settings::load(&cli.config_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("omnigate: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(&settings);
    for var in Settings::unknown_env_vars() {
        tracing::warn!(
            variable = %var,
            "ignoring an environment variable that names no setting (misspelled?); \
             see config/default.toml for the keys"
        );
    }
    let result = match command {
        Command::Serve => actix_web::rt::System::new().block_on(async {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }),
        Command::Migrate => startup::migrate(&settings).map(|v| {
            println!(
                "schema at version {v} in {}",
                startup::data_dir(&settings).display()
            );
        }),
        Command::Backup { file } => startup::backup(&settings, &file).map(|c| {
            println!(
                "backed up {} events ({} pages) to {}",
                c.events,
                c.pages,
                file.display()
            );
        }),
        Command::Restore { file } => startup::restore(&settings, &file).map(|c| {
            println!(
                "restored {} events ({} pages) into {}; the event index is rebuilt at start",
                c.events,
                c.pages,
                startup::data_dir(&settings).display()
            );
        }),
        // Handled above, before any configuration is read.
        Command::Client(_) | Command::Sink(_) => Ok(()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Once, on standard error, as every failure before the log starts is.
            eprintln!("omnigate: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
