//! A missing container — the S3 bucket, the Azure blob container, the local or SFTP root
//! folder — is an error that names it, from every method: never `false` from a probe, an
//! empty listing, or a write that quietly creates it (a mistyped bucket name must not look
//! like an empty store).
//!
//! The fixture builds the store with its missing-container hook
//! ([`Features::missing_container_sync`](crate::Features::missing_container_sync) and
//! [`missing_container_async`](crate::Features::missing_container_async)); a backend
//! without a container declares [`no_container`](crate::Features::no_container).

/// The name of the case, for the `no_container` declaration.
pub(crate) const CASE: &str = "missing_container_is_an_error";

cases! {
    /// Every method on a store over a missing container fails with `NotFound` naming it;
    /// a write does not create it.
    fn missing_container_is_an_error(s, f) [] if (f.missing_container_name().is_some()) {
        let name = f.missing_container_name().unwrap_or_default().to_owned();
        let name = name.as_str();
        let made = aw!(missing_store(f.clone())).unwrap_or_else(|| panic!(
            "the fixture declares a missing-container hook, but not for this half: declare \
             both missing_container_sync and missing_container_async"
        ));
        let store = match made {
            Ok(store) => store,
            Err(e) => {
                // Refused at construction (the local backend): that error must say it.
                expect_missing_container(Err::<(), _>(e), name, "building the store");
                return;
            }
        };
        let m = &store;
        expect_missing_container(aw!(m.ping()), name, "ping");
        for p in ["a.txt", "d/b.txt", "d"] {
            expect_missing_container(aw!(m.exists(p)), name, &format!("exists({p:?})"));
            expect_missing_container(aw!(m.is_file(p)), name, &format!("is_file({p:?})"));
            expect_missing_container(aw!(m.is_folder(p)), name, &format!("is_folder({p:?})"));
        }
        let caps = m.capabilities();
        if caps.supports(Capability::List) {
            for p in ["", "d"] {
                expect_missing_container(aw!(files(m, p, false)), name, &format!("list_files({p:?})"));
                expect_missing_container(aw!(files(m, p, true)), name, &format!("recursive list_files({p:?})"));
                expect_missing_container(aw!(folders(m, p)), name, &format!("list_folders({p:?})"));
                expect_missing_container(aw!(children(m, p)), name, &format!("iter_children({p:?})"));
            }
            expect_missing_container(aw!(globbed(m, "**/*.txt")), name, "glob");
        }
        if caps.supports(Capability::Read) {
            expect_missing_container(aw!(m.read("a.txt")).map(drop), name, "read");
            expect_missing_container(aw!(m.read_bytes("a.txt")), name, "read_bytes");
            expect_missing_container(aw!(m.read_range("a.txt", 0..4)).map(drop), name, "read_range");
        }
        if caps.supports(Capability::Metadata) {
            expect_missing_container(aw!(m.get_file_info("a.txt")), name, "get_file_info");
            expect_missing_container(aw!(m.head("a.txt")), name, "head");
            expect_missing_container(aw!(m.get_folder_info("")), name, "get_folder_info(root)");
            expect_missing_container(aw!(m.get_folder_info("d")), name, "get_folder_info");
        }
        if caps.supports(Capability::Delete) {
            let missing_ok = DeleteOptions::new().missing_ok(true);
            expect_missing_container(aw!(m.delete_with("a.txt", missing_ok)), name, "delete(missing_ok)");
            let folder = DeleteFolderOptions::new().recursive(true).missing_ok(true);
            expect_missing_container(aw!(m.delete_folder_with("d", folder)), name, "delete_folder(missing_ok)");
        }
        if caps.supports(Capability::Copy) {
            expect_missing_container(aw!(m.copy_file("a.txt", "b.txt")), name, "copy_file");
        }
        if caps.supports(Capability::Write) {
            expect_missing_container(aw!(m.write("a.txt", "x")), name, "write");
            expect_missing_container(aw!(m.write("d/b.txt", "x")), name, "write below a folder");
            if caps.supports(Capability::AtomicWrite) {
                expect_missing_container(aw!(m.write_atomic("a.txt", "x")), name, "write_atomic");
            }
            // The writes created nothing: the container is still missing.
            expect_missing_container(aw!(m.exists("a.txt")), name, "exists after the writes");
            expect_missing_container(aw!(m.ping()), name, "ping after the writes");
        }
    }
}
