//! TODO
use crate::{CollectOptions, Collector, Output, Root};

/// TODO
pub struct Flatpak;

impl Collector for Flatpak {
    fn name(&self) -> &'static str {
        "flatpak"
    }
    fn collect(&self, _root: &Root, _opts: &CollectOptions, _out: &mut Output) {}
}
