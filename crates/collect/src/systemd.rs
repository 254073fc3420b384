//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Systemd;

impl Collector for Systemd {
    fn name(&self) -> &'static str {
        "systemd"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
