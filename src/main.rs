use clap::Parser;

fn main() {
    let cli = meshtcp::cli::Cli::parse();
    match meshtcp::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("meshtcp: {e:#}");
            std::process::exit(2);
        }
    }
}
