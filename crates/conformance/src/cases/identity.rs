//! Identity: name, capabilities, `Debug`, pure path conversions, `unwrap`, `ping`.

/// A type no backend exposes as its native client.
#[derive(Debug)]
pub(crate) struct NotAClient;

cases! {
    /// The backend reports a non-empty name.
    fn identity_name_is_not_empty(s, f) [] {
        assert!(!s.name().is_empty(), "name() is empty");
    }

    /// `capabilities()` is a set of known capabilities and `supports` agrees with it.
    fn identity_capabilities_are_consistent(s, f) [] {
        let caps = s.capabilities();
        assert!(caps.is_subset(CapabilitySet::all()), "unknown capability bits: {caps:?}");
        for cap in Capability::ALL {
            assert_eq!(s.supports(*cap), caps.supports(*cap), "supports({cap}) disagrees");
        }
    }

    /// `Debug` of the store (and so of its backend) works and says something.
    fn identity_debug_is_not_empty(s, f) [] {
        let shown = format!("{s:?}");
        assert!(!shown.is_empty(), "Debug output is empty");
        let pretty = format!("{s:#?}");
        assert!(!pretty.is_empty(), "alternate Debug output is empty");
    }

    /// Declared secrets appear nowhere: not in `Debug`, native paths, or errors.
    fn identity_secrets_stay_hidden(s, f) [] if (f.secrets().next().is_some()) {
        let mut shown = vec![format!("{s:?}"), format!("{s:#?}"), ok(s.native_path("a/b.txt"), "native_path")];
        if s.supports(Capability::Read) {
            let e = expect_err(aw!(s.read_bytes("missing/secret-check.txt")));
            shown.push(format!("{e} {e:?}"));
        }
        let e = expect_err(aw!(s.read_bytes("../escape")));
        shown.push(format!("{e} {e:?}"));
        for secret in f.secrets() {
            for text in &shown {
                assert!(!text.contains(secret), "a declared secret is visible in: {}", text.replace(secret, "<SECRET>"));
            }
        }
    }

    /// `to_key(native_path(k)) == k` for ordinary, nested and unusual keys.
    fn identity_native_path_round_trips_keys(s, f) [] {
        for key in ["a.txt", "d/e/f.bin", "sp ace/ünï 文.txt", "x..y/z", "100%/a+b"] {
            let native = ok(s.native_path(key), "native_path");
            assert!(!native.is_empty(), "native_path({key:?}) is empty");
            let back = ok(s.to_key(&native), "to_key");
            assert_eq!(back.as_str(), key, "to_key(native_path({key:?})) = {back:?} (native {native:?})");
        }
    }

    /// The root round-trips, in every spelling.
    fn identity_native_path_round_trips_root(s, f) [] {
        for root in ROOT_FORMS.iter().copied() {
            let native = ok(s.native_path(root), "native_path(root)");
            let back = ok(s.to_key(&native), "to_key(native root)");
            assert!(back.is_root(), "to_key(native_path({root:?})) = {back:?}, not the root");
        }
    }

    /// Different keys have different native names.
    fn identity_native_paths_are_distinct(s, f) [] {
        let names: Vec<String> = ["a", "b", "a/b", "ab", ""]
            .iter()
            .map(|k| ok(s.native_path(k), "native_path"))
            .collect();
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "native names collide: {names:?}");
    }

    /// A native name outside a child store is `InvalidPath`.
    fn identity_to_key_outside_store_is_invalid_path(s, f) [] {
        let child = ok(s.child("inside"), "child");
        let native = ok(s.native_path("outside/x.txt"), "native_path");
        expect_kind(child.to_key(&native), ErrorKind::InvalidPath);
        let sibling = ok(s.native_path("insidex/y.txt"), "native_path");
        expect_kind(child.to_key(&sibling), ErrorKind::InvalidPath);
    }

    /// `native::<T>()` for a type the backend does not expose is `CapabilityNotSupported`.
    fn identity_unwrap_unrelated_type_is_unsupported(s, f) [] {
        expect_kind(s.native::<NotAClient>(), ErrorKind::CapabilityNotSupported);
    }

    /// `ping()` succeeds on a fresh store.
    fn identity_ping_succeeds(s, f) [] {
        ok(aw!(s.ping()), "ping");
    }
}
