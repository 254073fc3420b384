//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Processes;

impl Collector for Processes {
    fn name(&self) -> &'static str {
        "procs"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
