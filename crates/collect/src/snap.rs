//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Snap;

impl Collector for Snap {
    fn name(&self) -> &'static str {
        "snap"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
