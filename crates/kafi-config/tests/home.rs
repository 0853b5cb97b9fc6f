//! `KAFI_HOME` handling. This is the only test in its binary because it
//! changes the process environment.

use std::path::PathBuf;

use kafi_config::{kafi_home, StorageConfig, StorageKind};

#[test]
fn kafi_home_honours_the_environment() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("envhome.yaml"), "local:\n  root.dir: /h\n").unwrap();

    std::env::set_var("KAFI_HOME", home.path());
    assert_eq!(kafi_home(), home.path());
    let c = StorageConfig::load(StorageKind::Local, "envhome").unwrap();
    assert_eq!(c.local().unwrap().root_dir, "/h");
    assert_eq!(c.source, Some(home.path().join("envhome.yaml")));

    std::env::set_var("KAFI_HOME", "");
    assert_eq!(kafi_home(), PathBuf::from("."));
    std::env::remove_var("KAFI_HOME");
    assert_eq!(kafi_home(), PathBuf::from("."));
}
