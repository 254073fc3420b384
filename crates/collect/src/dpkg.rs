//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Dpkg;

impl Collector for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
