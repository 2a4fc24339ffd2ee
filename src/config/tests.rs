//! Validation of the `run` options: defaults, each flag's errors.

use super::*;

fn opts() -> RunArgs {
    RunArgs::default()
}

#[test]
fn defaults_talk_to_the_factory_camera_address_and_local_qgc() {
    let c = Config::from_args(&opts()).unwrap();
    assert_eq!(
        c.camera,
        CameraSource::Udp("192.168.144.25:37260".parse().unwrap())
    );
    assert!(c.allowed_systems.is_empty());
    assert_eq!(c.mavlink, vec![DEFAULT_MAVLINK.parse().unwrap()]);
    assert_eq!((c.system_id, c.component_id), (None, 100));
}

#[test]
fn gimbal_component_by_default_off_on_request() {
    let c = Config::from_args(&opts()).unwrap();
    assert_eq!(c.gimbal_component_id, Some(154));
    assert_eq!(c.gimbal_manager, ManagerMode::Auto);
    for off in ["off", "0"] {
        let c = Config::from_args(&RunArgs {
            gimbal_compid: Some(off.into()),
            gimbal_manager: Some("on".into()),
            ..opts()
        })
        .unwrap();
        assert_eq!(c.gimbal_component_id, None);
        assert_eq!(c.gimbal_manager, ManagerMode::On);
    }
    for bad in ["100", "256", "x"] {
        let e = Config::from_args(&RunArgs {
            gimbal_compid: Some(bad.into()),
            ..opts()
        })
        .unwrap_err();
        assert!(e.to_string().contains("--gimbal-compid"), "{e}");
    }
    let e = Config::from_args(&RunArgs {
        gimbal_manager: Some("maybe".into()),
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().contains("--gimbal-manager"), "{e}");
}

#[test]
fn host_names_are_resolved_once_for_camera_and_mavlink_alike() {
    let c = Config::from_args(&RunArgs {
        camera: Some("localhost:37260".into()),
        mavlink: vec!["udpout:localhost:14550".into(), "udpin:localhost:0".into()],
        ..opts()
    })
    .unwrap();
    assert_eq!(
        c.camera,
        CameraSource::Udp("127.0.0.1:37260".parse().unwrap())
    );
    assert_eq!(
        c.mavlink,
        vec![
            Endpoint::UdpOut("127.0.0.1:14550".parse().unwrap()),
            Endpoint::UdpIn("127.0.0.1:0".parse().unwrap())
        ]
    );
    for (camera, mavlink) in [(Some("localhost"), None), (None, Some("udpout:localhost"))] {
        let e = Config::from_args(&RunArgs {
            camera: camera.map(Into::into),
            mavlink: mavlink.into_iter().map(Into::into).collect(),
            ..opts()
        })
        .unwrap_err();
        assert!(e.to_string().contains("is not HOST:PORT"), "{e}");
    }
}

#[test]
fn simulator_only_when_asked() {
    let c = Config::from_args(&RunArgs {
        simulate: true,
        ..opts()
    })
    .unwrap();
    assert_eq!(c.camera, CameraSource::Simulate);
}

#[test]
fn allow_sysid_lists() {
    let c = Config::from_args(&RunArgs {
        allow_sysid: vec!["1, 255".into(), "42".into(), "1".into()],
        ..opts()
    })
    .unwrap();
    assert_eq!(c.allowed_systems, vec![1, 255, 42]);
    for bad in ["0", "256", "x", "1,,2", ""] {
        let e = Config::from_args(&RunArgs {
            allow_sysid: vec![bad.into()],
            ..opts()
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("--allow-sysid"), "{bad}: {e}");
    }
}

#[test]
fn errors_name_the_flag() {
    let e = Config::from_args(&RunArgs {
        mavlink: vec!["udpin:nope".into()],
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("--mavlink"), "{e}");
    let e = Config::from_args(&RunArgs {
        camera: Some("1.2.3.4".into()),
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("--camera"), "{e}");
    let e = Config::from_args(&RunArgs {
        sysid: Some(0),
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("--sysid"), "{e}");
    let e = Config::from_args(&RunArgs {
        camera: Some("127.0.0.1:37260".into()),
        simulate: true,
        ..opts()
    })
    .unwrap_err();
    assert!(matches!(e, ConfigError::CameraAndSimulate));
}

#[test]
fn a_camera_profile_must_be_a_probe_report() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let err = Config::from_args(&RunArgs {
        camera_profile: Some(missing),
        ..opts()
    })
    .unwrap_err();
    assert!(matches!(err, ConfigError::CameraProfile { .. }), "{err}");
    let good = dir.path().join("probe.json");
    std::fs::write(
        &good,
        r#"{"format":1,"questions":[{"id":"current_zoom","conclusion":"unsupported"}]}"#,
    )
    .unwrap();
    let c = Config::from_args(&RunArgs {
        camera_profile: Some(good),
        ..opts()
    })
    .unwrap();
    assert_eq!(c.known_unanswered.len(), 1);
    assert_eq!(c.known_unanswered[0].0, 0x18);
}

#[test]
fn signing_key_file_is_checked_and_never_shown() {
    let dir = std::env::temp_dir().join(format!("siyi-key-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.key");
    let e = Config::from_args(&RunArgs {
        signing_key_file: Some(missing),
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().starts_with("--signing-key-file"), "{e}");
    assert!(!e.to_string().contains('\n'), "one line: {e}");
    let bad = dir.join("bad.key");
    std::fs::write(&bad, "deadbeef\n").unwrap();
    let e = Config::from_args(&RunArgs {
        signing_key_file: Some(bad),
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().contains("64 hex digits"), "{e}");
    let good = dir.join("good.key");
    let hex = "c0ffee".repeat(10) + "abcd";
    std::fs::write(&good, format!("  {hex}\n")).unwrap();
    let c = Config::from_args(&RunArgs {
        signing_key_file: Some(good),
        ..opts()
    })
    .unwrap();
    assert!(c.signing_key.is_some());
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("c0ffee") && !shown.contains("192, 255"),
        "{shown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_built_in_tracker_and_the_simulated_video_have_their_defaults_and_errors() {
    let c = Config::from_args(&opts()).unwrap();
    assert!(c.builtin_tracker && c.track_delay_compensation && !c.sim_tracker);
    assert_eq!(c.video_latency_ms, 150);
    assert_eq!(
        (c.sim_video_size, c.sim_video_delay_ms, c.sim_scene),
        ((1280, 720), 0, SimScene::Plain)
    );
    let c = Config::from_args(&RunArgs {
        sim_video_size: "640X360".into(),
        sim_scene: "busy".into(),
        builtin_tracker: false,
        ..opts()
    })
    .unwrap();
    assert_eq!(
        (c.sim_video_size, c.sim_scene),
        ((640, 360), SimScene::Busy)
    );
    assert!(!c.builtin_tracker);
    for bad in [
        "640",
        "641x360",
        "100x100",
        "3840x2160",
        "axb",
        "640x360x2",
        "",
    ] {
        let e = Config::from_args(&RunArgs {
            sim_video_size: bad.into(),
            ..opts()
        })
        .unwrap_err();
        assert!(matches!(e, ConfigError::SimVideoSize(_)), "{bad}: {e}");
        assert_eq!(e.key(), "sim-video-size");
    }
    let e = Config::from_args(&RunArgs {
        sim_scene: "crowded".into(),
        ..opts()
    })
    .unwrap_err();
    assert!(e.to_string().contains("expected plain or busy"), "{e}");
}
