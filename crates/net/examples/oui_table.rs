//! Regenerate `data/covered-oui.tsv` from an IEEE registry directory.
//!
//! `cargo run -p uproot-net --example oui_table -- DIR [DATE] [SOURCE] > data/covered-oui.tsv`
//! DIR holds oui.csv or oui.txt, and optionally mam.csv, oui36.csv, iab.csv.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: oui_table DIR [DATE] [SOURCE]");
        std::process::exit(2);
    };
    let (mut table, summary) = match uproot_net::oui::update_table(std::path::Path::new(dir)) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if let Some(d) = args.get(1) {
        table.registry_date = d.clone();
    }
    if let Some(s) = args.get(2) {
        table.source = s.clone();
    }
    for e in &summary.errors {
        eprintln!("warning: {e}");
    }
    for (v, m) in &summary.vendor_counts {
        eprintln!("{v}: {m:?}");
    }
    eprintln!("{} blocks", table.len());
    print!("{}", table.to_tsv());
}
