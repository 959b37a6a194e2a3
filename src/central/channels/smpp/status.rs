//! SMPP 3.4 `command_status` values (§5.1.3): their names, and what the dispatcher does about
//! a `submit_sm` refused with one.

use crate::central::workers::dispatch::ProviderError;

/// `ESME_RMSGQFUL`: the SMSC's queue is full.
pub const MSGQFUL: u32 = 0x14;
/// `ESME_RTHROTTLED`: over the SMSC's rate.
pub const THROTTLED: u32 = 0x58;

const NAMES: [(u32, &str); 24] = [
    (0x00, "ESME_ROK"),
    (0x01, "ESME_RINVMSGLEN"),
    (0x02, "ESME_RINVCMDLEN"),
    (0x03, "ESME_RINVCMDID"),
    (0x04, "ESME_RINVBNDSTS"),
    (0x05, "ESME_RALYBND"),
    (0x06, "ESME_RINVPRTFLG"),
    (0x07, "ESME_RINVREGDLVFLG"),
    (0x08, "ESME_RSYSERR"),
    (0x0A, "ESME_RINVSRCADR"),
    (0x0B, "ESME_RINVDSTADR"),
    (0x0C, "ESME_RINVMSGID"),
    (0x0D, "ESME_RBINDFAIL"),
    (0x0E, "ESME_RINVPASWD"),
    (0x0F, "ESME_RINVSYSID"),
    (0x14, "ESME_RMSGQFUL"),
    (0x15, "ESME_RINVSERTYP"),
    (0x33, "ESME_RINVNUMDESTS"),
    (0x45, "ESME_RSUBMITFAIL"),
    (0x48, "ESME_RINVSRCTON"),
    (0x50, "ESME_RINVDSTTON"),
    (0x58, "ESME_RTHROTTLED"),
    (0x62, "ESME_RINVEXPIRY"),
    (0x66, "ESME_RX_R_APPN"),
];

/// The status's name (`ESME_RTHROTTLED`), or its number when it has none here.
pub fn name(status: u32) -> String {
    NAMES.iter().find(|(code, _)| *code == status).map_or_else(
        || format!("status {status:#010x}"),
        |(_, name)| (*name).to_owned(),
    )
}

/// Whether the SMSC said "not now" (nothing was accepted).
pub fn is_transient(status: u32) -> bool {
    matches!(status, THROTTLED | MSGQFUL)
}

/// What a refused `submit_sm` of part `part` (0-based) of `total` means for the row: the first
/// part's refusal is the row's; a later part's leaves earlier parts with the SMSC.
pub fn refusal(status: u32, part: usize, total: usize, accepted: &[String]) -> ProviderError {
    // A response that is no acceptance but says ESME_ROK is a generic_nack gone wrong.
    let name = if status == 0 {
        "generic_nack".to_owned()
    } else {
        name(status)
    };
    if part > 0 {
        return ProviderError::Unknown(format!(
            "part {} of {total} answered {name} after the SMSC took the earlier part(s) (id {})",
            part + 1,
            accepted.join(",")
        ));
    }
    if is_transient(status) {
        ProviderError::Retry(name)
    } else {
        ProviderError::Refused(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_the_dispatchers_answers() {
        let ids = ["7".to_owned()];
        let cases: [(u32, usize, ProviderError); 6] = [
            (0x58, 0, ProviderError::Retry("ESME_RTHROTTLED".into())),
            (0x14, 0, ProviderError::Retry("ESME_RMSGQFUL".into())),
            (0x0B, 0, ProviderError::Refused("ESME_RINVDSTADR".into())),
            (0x45, 0, ProviderError::Refused("ESME_RSUBMITFAIL".into())),
            (0x400, 0, ProviderError::Refused("status 0x00000400".into())),
            (
                0x58,
                1,
                ProviderError::Unknown(
                    "part 2 of 2 answered ESME_RTHROTTLED after the SMSC took the earlier part(s) (id 7)".into(),
                ),
            ),
        ];
        for (status, part, want) in cases {
            let accepted = &ids[..part.min(1)];
            assert_eq!(
                refusal(status, part, 2, accepted),
                want,
                "{status:#x} part {part}"
            );
        }
    }
}
