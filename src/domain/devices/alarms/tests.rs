use super::*;
use crate::domain::time::MINUTE_MS;

fn at(minutes: i64) -> Timestamp {
    Timestamp(1_790_000_000_000 + minutes * MINUTE_MS)
}

const FIVE_AND_TEN: Debounce = Debounce {
    pending_ms: 5 * MINUTE_MS,
    clear_ms: 10 * MINUTE_MS,
};

/// (minute, whether the condition holds) steps, and the edges they give.
type Case = (Vec<(i64, bool)>, Vec<(i64, Edge)>);

/// Steps a condition through (minute, holds) and returns the edges with their minutes.
fn edges(steps: &[(i64, bool)], debounce: Debounce) -> Vec<(i64, Edge)> {
    let mut state = Condition::Quiet;
    let mut seen = Vec::new();
    for &(minute, holds) in steps {
        let (next, edge) = state.step(holds, at(minute), debounce);
        state = next;
        seen.extend(edge.map(|e| (minute, e)));
    }
    seen
}

#[test]
fn a_condition_raises_after_its_pending_period_and_clears_after_its_quiet_period() {
    // (steps, edges)
    let cases: Vec<Case> = vec![
        // A blip shorter than the pending period raises nothing.
        (vec![(0, true), (3, true), (4, false), (20, false)], vec![]),
        // Held five minutes: raised once, however long it holds.
        (
            vec![(0, true), (5, true), (6, true), (30, true)],
            vec![(5, Edge::Raise)],
        ),
        // Flickering after it was raised keeps it raised: no clear, no second raise.
        (
            vec![
                (0, true),
                (5, true),
                (6, false),
                (8, true),
                (9, false),
                (15, true),
            ],
            vec![(5, Edge::Raise)],
        ),
        // Gone ten minutes: cleared once.
        (
            vec![
                (0, true),
                (5, true),
                (6, false),
                (15, false),
                (16, false),
                (40, false),
            ],
            vec![(5, Edge::Raise), (16, Edge::Clear)],
        ),
    ];
    for (steps, want) in cases {
        assert_eq!(edges(&steps, FIVE_AND_TEN), want, "{steps:?}");
    }
}

#[test]
fn with_no_pending_period_a_condition_raises_at_once() {
    let at_once = Debounce {
        pending_ms: 0,
        clear_ms: 0,
    };
    let got = edges(&[(0, true), (1, false)], at_once);
    assert_eq!(got, [(0, Edge::Raise), (1, Edge::Clear)]);
}

#[test]
fn a_threshold_raises_past_one_value_and_clears_past_another() {
    let low_battery = Threshold {
        raise_at: 11.8,
        clear_at: 12.2,
    };
    let hot = Threshold {
        raise_at: 35.0,
        clear_at: 33.0,
    };
    // (threshold, value, held before, holds)
    let cases = [
        (low_battery, 11.9, false, false),
        (low_battery, 11.8, false, true),
        (low_battery, 12.0, true, true),
        (low_battery, 12.2, true, false),
        (hot, 34.0, false, false),
        (hot, 35.0, false, true),
        (hot, 34.0, true, true),
        (hot, 33.0, true, false),
    ];
    for (threshold, value, held, want) in cases {
        assert_eq!(
            threshold.holds(value, held),
            want,
            "{threshold:?} {value} {held}"
        );
    }
}

fn quiet(device: &str, township: u32, dtu: Option<&str>, cellular: bool) -> Quiet {
    Quiet {
        device: device.to_owned(),
        township,
        dtu: dtu.map(str::to_owned),
        cellular,
    }
}

const RULES: Grouping = Grouping {
    township_min: 3,
    cellular_percent: 50,
};

fn scopes(found: &[Incident]) -> Vec<(Scope, usize)> {
    found
        .iter()
        .map(|i| (i.scope.clone(), i.devices.len()))
        .collect()
}

#[test]
fn devices_quiet_together_are_one_incident_of_the_widest_cause() {
    let longjin = 350_423_100;
    let songxi = 350_423_101;
    // Three boards behind one DTU in Longjin, and one station in Songxi: the DTU, and the station.
    let dtu = vec![
        quiet("gh-1", longjin, Some("dtu-7"), true),
        quiet("gh-2", longjin, Some("dtu-7"), true),
        quiet("gh-3", longjin, Some("dtu-7"), true),
        quiet("708305", songxi, None, false),
    ];
    assert_eq!(
        scopes(&incidents(&dtu, 20, RULES)),
        [
            (Scope::Dtu("dtu-7".into()), 3),
            (Scope::Device("708305".into()), 1)
        ]
    );
    // Three stations of one township: one incident; a fourth elsewhere stands alone.
    let township = vec![
        quiet("708301", longjin, None, false),
        quiet("708302", longjin, None, false),
        quiet("708303", longjin, None, false),
        quiet("708305", songxi, None, false),
    ];
    assert_eq!(
        scopes(&incidents(&township, 20, RULES)),
        [
            (Scope::Township(longjin), 3),
            (Scope::Device("708305".into()), 1)
        ]
    );
    // Two of a township are not enough to blame the township.
    let two = &township[..2];
    assert_eq!(incidents(two, 20, RULES).len(), 2);
    // Half the county's 4G devices at once: the network, one incident for all of them.
    let cellular: Vec<Quiet> = (0..10)
        .map(|i| quiet(&format!("s{i}"), longjin + i % 3, None, true))
        .collect();
    assert_eq!(
        scopes(&incidents(&cellular, 20, RULES)),
        [(Scope::Cellular, 10)]
    );
    assert!(incidents(&[], 20, RULES).is_empty());
}
