//! Random values drawn at start and on rotation (Guids, callids), and the
//! shape a Guid must have.

use ring::rand::{SecureRandom, SystemRandom};

use super::error::GatewayError;

/// True for `8-4-4-4-12` hex digits, optionally followed by `.suffix`.
pub(crate) fn is_well_formed_guid(guid: &str) -> bool {
    let uuid = guid.split_once('.').map_or(guid, |(uuid, _)| uuid);
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(crate) fn random_bytes<const N: usize>(random: &SystemRandom) -> Result<[u8; N], GatewayError> {
    let mut bytes = [0u8; N];
    random.fill(&mut bytes).map_err(|_| GatewayError::Random)?;
    Ok(bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A Guid like `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.{suffix}`.
pub(crate) fn new_guid(random: &SystemRandom, suffix: &str) -> Result<String, GatewayError> {
    let h = hex(&random_bytes::<16>(random)?);
    Ok(format!(
        "{}-{}-{}-{}-{}.{suffix}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

/// A callid like `1552524689-16797284`.
pub(crate) fn new_callid(random: &SystemRandom) -> Result<String, GatewayError> {
    let bytes = random_bytes::<8>(random)?;
    let first = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let second = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    Ok(format!(
        "{}-{}",
        1_000_000_000 + first % 1_000_000_000,
        10_000_000 + second % 90_000_000
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_have_the_documented_shapes() {
        let random = SystemRandom::new();
        let guid = new_guid(&random, "AgentGateway1").unwrap();
        assert!(is_well_formed_guid(&guid), "{guid}");
        assert!(guid.ends_with(".AgentGateway1"));
        let callid = new_callid(&random).unwrap();
        let (a, b) = callid.split_once('-').unwrap();
        assert_eq!((a.len(), b.len()), (10, 8), "{callid}");
    }

    #[test]
    fn guid_shape_check() {
        assert!(is_well_formed_guid("279fe21d-2caa-4437-84c3-ab9e9dae20f5"));
        assert!(is_well_formed_guid(
            "279fe21d-2caa-4437-84c3-ab9e9dae20f5.AgentGateway0"
        ));
        assert!(!is_well_formed_guid(
            "279fe21d-2caa-4437-84c3-ab9e9dae20f.AgentGateway0"
        ));
        assert!(!is_well_formed_guid("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
        assert!(!is_well_formed_guid(""));
    }
}
