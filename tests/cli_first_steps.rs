//! A newcomer's first commands, as the built binary runs them on loopback: `sim` says how to
//! reach it and that command works; `camera` flags go after the action too; out-of-range angles
//! and zoom say what was sent; NaN is refused; a silent address is named in the error.

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::process::{Child, Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_siyi-bridge"))
}

/// A `siyi-bridge sim` on an ephemeral loopback port, killed when dropped.
struct Sim {
    child: Child,
    /// The first lines it printed.
    lines: Vec<String>,
}

impl Sim {
    /// Starts a simulator that boots for `boot_ms`.
    fn start(boot_ms: u64) -> Self {
        let mut child = bin()
            .args(["sim", "--listen", "127.0.0.1:0", "--boot-time-ms"])
            .arg(boot_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sim starts");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut lines = Vec::new();
        // Everything it says at start comes before the first request; stop at the reach line
        // (and the boot line when there is one).
        let want = if boot_ms == 0 { 2 } else { 3 };
        while lines.len() < want {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).expect("read") > 0,
                "sim ended: {lines:?}"
            );
            lines.push(line.trim_end().to_owned());
        }
        Self { child, lines }
    }

    /// The `camera` command it prints, as arguments after the binary name.
    fn reach_command(&self) -> Vec<String> {
        let line = self
            .lines
            .iter()
            .find_map(|l| l.strip_prefix("reach it with: siyi-bridge "))
            .unwrap_or_else(|| panic!("no reach line: {:?}", self.lines));
        let command = line.split("   (").next().unwrap();
        command.split_whitespace().map(str::to_owned).collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sim_prints_a_command_that_reaches_it_and_its_boot_time() {
    let sim = Sim::start(0);
    assert!(
        !sim.lines.iter().any(|l| l.contains("boot")),
        "{:?}",
        sim.lines
    );
    let args = sim.reach_command();
    assert_eq!(args[0], "camera");
    assert!(args.iter().any(|a| a.starts_with("127.0.0.1:")), "{args:?}");
    let out = bin().args(&args).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{args:?}: {stderr}");
    assert!(stdout.contains("model:"), "{stdout}");

    let booting = Sim::start(20_000);
    assert!(
        booting
            .lines
            .contains(&"simulating the A8 mini's 20 s boot; --boot-ms 0 to skip".to_owned()),
        "{:?}",
        booting.lines
    );
}

#[test]
fn camera_flags_after_the_action_and_clamped_values_said() {
    let sim = Sim::start(0);
    let addr = sim.reach_command()[2].clone();
    let out = bin()
        .args([
            "camera",
            "angles",
            "200",
            "-100",
            "--camera",
            &addr,
            "--timeout-ms",
            "3000",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("yaw 200.0° is outside −135…135°, sent 135.0°"),
        "{stdout}"
    );
    assert!(
        stdout.contains("pitch −100.0° is outside −90…25°, sent −90.0°"),
        "{stdout}"
    );
    let out = bin()
        .args(["camera", "zoom", "7", "--camera", &addr])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("zoom 7.0× is outside 1…6×, sent 6.0×"),
        "{stdout}"
    );
    let out = bin()
        .args(["camera", "angles", "30", "-45", "--camera", &addr])
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    assert!(
        out.status.success() && !stdout.contains("outside"),
        "{stdout}"
    );
}

#[test]
fn nan_is_refused_before_anything_is_sent() {
    // With a loopback --camera: were the refusal to break, nothing leaves the machine.
    for args in [
        ["camera", "angles", "NaN", "0"],
        ["camera", "angles", "0", "inf"],
        ["camera", "zoom", "NaN", "--timeout-ms"],
        ["camera", "zoom", "inf", "--timeout-ms"],
    ] {
        let mut argv: Vec<&str> = args.to_vec();
        if argv.last() == Some(&"--timeout-ms") {
            argv.push("100");
        }
        argv.extend(["--camera", "127.0.0.1:9"]);
        let out = bin().args(&argv).output().unwrap();
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{argv:?}");
        assert!(stderr.contains("number"), "{argv:?}: {stderr}");
        assert!(
            !stderr.contains("no reply"),
            "refused before talking: {stderr}"
        );
    }
}

#[test]
fn a_silent_address_is_named_in_the_error() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let out = bin()
        .args(["camera", "info", "--camera", &addr, "--timeout-ms", "200"])
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("no reply from {addr} within 200 ms")),
        "{stderr}"
    );
}

#[test]
fn a_probe_where_nothing_answers_says_so_and_fails() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "camera",
            "probe",
            "--camera",
            &addr,
            "--boot-timeout-ms",
            "300",
        ])
        .args(["--reply-timeout-ms", "100", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("nothing answered at {addr}")),
        "{stderr}"
    );
    assert!(stdout.contains("no report to send"), "{stdout}");
    assert!(!stdout.contains("opening an issue"), "{stdout}");
}

/// A second `record start` says "already recording", not "ok" (issue 21); a `stop` when not
/// recording says so too.
#[test]
fn a_second_record_start_says_already_recording() {
    let sim = Sim::start(0);
    let addr = sim.reach_command()[2].clone();
    let run = |what: &str| {
        let out = bin()
            .args(["camera", "record", what, "--camera", &addr])
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{what}: {stderr}");
        stdout
    };
    let first = run("start");
    assert!(!first.contains("already"), "{first}");
    let second = run("start");
    assert!(second.contains("already recording"), "{second}");
    let stop = run("stop");
    assert!(!stop.contains("nothing to stop"), "{stop}");
    let again = run("stop");
    assert!(
        again.contains("not recording") && again.contains("nothing to stop"),
        "{again}"
    );
}
