//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Rpm;

impl Collector for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
