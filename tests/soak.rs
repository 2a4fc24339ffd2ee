//! Ten virtual minutes of the whole core against the simulator over a wire that loses 20 % of
//! the datagrams each way, with the camera power-cycled every three minutes (issue 7). The
//! hour-long run with figures is `cargo bench --bench soak`.

mod soak_world;

use std::time::{Duration, Instant};

use soak_world::{SoakConfig, SoakWorld};

#[test]
fn lossy_rebooting_camera_never_makes_the_bridge_lie() {
    #[allow(clippy::disallowed_methods)] // the one real instant; all else is virtual time
    let t0 = Instant::now();
    let r = SoakWorld::new(
        SoakConfig {
            duration: Duration::from_secs(600),
            loss: 0.2,
            reboot_every: Duration::from_secs(180),
            seed: 7,
        },
        t0,
    )
    .run();
    eprintln!("{r:#?}");
    assert_eq!(r.reboots, 3, "at 3, 6 and 9 minutes");
    assert!(
        r.commands > 100,
        "the ground station was busy: {}",
        r.commands
    );
    assert_eq!(r.answered, r.commands, "every command got a final answer");
    assert!(
        r.photos_reported <= r.photos_taken,
        "a photo reported as taken was taken: {} reported, {} taken",
        r.photos_reported,
        r.photos_taken
    );
    assert!(r.photos_reported > 40, "photos were taken at all: {r:?}");
    assert_eq!(r.duplicate_indices, 0);
    assert_eq!(r.non_increasing_indices, 0);
    assert!(r.max_answer < Duration::from_secs(10), "{:?}", r.max_answer);
}
