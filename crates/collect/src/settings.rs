//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Settings;

impl Collector for Settings {
    fn name(&self) -> &'static str {
        "settings"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
