//! The local file system (`local` section): a storage root directory.

use std::path::PathBuf;

use kafi_config::LocalSection;
use kafi_core::{Error, Result};

use crate::store::Store;

/// Opens `root.dir`, which need not exist yet (it is created on the first
/// write) but must not be anything but a directory.
pub(super) async fn open(section: &LocalSection) -> Result<Store> {
    let root = PathBuf::from(&section.root_dir);
    let display = root.display().to_string();
    // Checking the root touches the file system: off the async threads.
    tokio::task::spawn_blocking(move || Store::local(&root))
        .await
        .map_err(|e| Error::backend("cannot open storage root", display, e))?
}
