//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct ProbePaths;

impl Collector for ProbePaths {
    fn name(&self) -> &'static str {
        "paths"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
