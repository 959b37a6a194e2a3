//! The bodies of the PDUs this channel speaks (pure): `bind_transceiver`, `submit_sm` and
//! `deliver_sm` (one layout, SMPP 3.4 §4.4.1 and §4.6.1), and the responses' message ids.

use super::pdu::{
    PduError, Reader, TAG_MESSAGE_PAYLOAD, TAG_RECEIPTED_MESSAGE_ID, VERSION_34, put_cstring,
};

/// `bind_transceiver`'s body: `system_id`, password, `system_type`, version 3.4, no address range.
pub fn bind_transceiver(
    system_id: &str,
    password: &str,
    system_type: &str,
) -> Result<Vec<u8>, PduError> {
    let mut body = Vec::with_capacity(48);
    put_cstring(&mut body, system_id, 16, "system_id")?;
    put_cstring(&mut body, password, 9, "password")?;
    put_cstring(&mut body, system_type, 13, "system_type")?;
    body.extend_from_slice(&[VERSION_34, 0, 0, 0]); // version, addr_ton, addr_npi, address_range ""
    Ok(body)
}

/// The message id leading a response body (`submit_sm_resp`; empty when refused).
pub fn message_id(body: &[u8]) -> String {
    Reader::new(body).cstring("message_id").unwrap_or_default()
}

/// An address with its type of number and numbering plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// `*_addr_ton`.
    pub ton: u8,
    /// `*_addr_npi`.
    pub npi: u8,
    /// The digits (personal data: never logged).
    pub addr: String,
}

impl Address {
    /// An address of `ton`/`npi`.
    pub fn new(ton: u8, npi: u8, addr: &str) -> Self {
        Self {
            ton,
            npi,
            addr: addr.to_owned(),
        }
    }
}

/// A `submit_sm` or `deliver_sm`: the fields this channel sets or reads.
#[derive(Clone, PartialEq, Eq)]
pub struct ShortMessage {
    /// Who sends it.
    pub source: Address,
    /// Who it goes to.
    pub destination: Address,
    /// `esm_class`: 0x40 UDHI on a concatenated part, 0x04 on a delivery receipt.
    pub esm_class: u8,
    /// `registered_delivery`: 1 asks for a receipt.
    pub registered_delivery: u8,
    /// `data_coding`: 0 SMSC default (GSM), 8 UCS-2.
    pub data_coding: u8,
    /// The message (with its UDH when UDHI is set), or `message_payload`'s when that is used.
    pub short_message: Vec<u8>,
    /// The `receipted_message_id` TLV, if the SMSC sent it.
    pub receipted_message_id: Option<String>,
}

impl std::fmt::Debug for ShortMessage {
    // Addresses and text are personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ShortMessage {{ esm_class: {:#04x}, data_coding: {}, {} bytes }}",
            self.esm_class,
            self.data_coding,
            self.short_message.len()
        )
    }
}

impl ShortMessage {
    /// The body, TLVs aside: `service_type` "", no schedule or validity, no replace.
    pub fn to_body(&self) -> Result<Vec<u8>, PduError> {
        let length = u8::try_from(self.short_message.len())
            .map_err(|_| PduError::TooLong("short_message"))?;
        let mut body = Vec::with_capacity(64 + self.short_message.len());
        body.push(0); // service_type ""
        body.extend_from_slice(&[self.source.ton, self.source.npi]);
        put_cstring(&mut body, &self.source.addr, 21, "source_addr")?;
        body.extend_from_slice(&[self.destination.ton, self.destination.npi]);
        put_cstring(&mut body, &self.destination.addr, 21, "destination_addr")?;
        // esm_class, protocol_id, priority_flag, schedule "", validity "".
        body.extend_from_slice(&[self.esm_class, 0, 0, 0, 0]);
        // registered_delivery, replace_if_present, data_coding, sm_default_msg_id, sm_length.
        body.extend_from_slice(&[self.registered_delivery, 0, self.data_coding, 0, length]);
        body.extend_from_slice(&self.short_message);
        Ok(body)
    }

    /// Reads a `submit_sm` or `deliver_sm` body.
    pub fn parse(body: &[u8]) -> Result<Self, PduError> {
        let mut r = Reader::new(body);
        r.cstring("service_type")?;
        let source = address(&mut r, "source_addr")?;
        let destination = address(&mut r, "destination_addr")?;
        let esm_class = r.u8("esm_class")?;
        r.take(2, "protocol_id")?;
        r.cstring("schedule_delivery_time")?;
        r.cstring("validity_period")?;
        let registered_delivery = r.u8("registered_delivery")?;
        r.u8("replace_if_present_flag")?;
        let data_coding = r.u8("data_coding")?;
        r.u8("sm_default_msg_id")?;
        let length = r.u8("sm_length")? as usize;
        let mut short_message = r.take(length, "short_message")?.to_vec();
        let mut receipted_message_id = None;
        for (tag, value) in r.tlvs()? {
            match tag {
                TAG_RECEIPTED_MESSAGE_ID => {
                    let id = value.split(|b| *b == 0).next().unwrap_or_default();
                    receipted_message_id = Some(String::from_utf8_lossy(id).into_owned());
                }
                TAG_MESSAGE_PAYLOAD if short_message.is_empty() => short_message = value.to_vec(),
                _ => {}
            }
        }
        Ok(Self {
            source,
            destination,
            esm_class,
            registered_delivery,
            data_coding,
            short_message,
            receipted_message_id,
        })
    }
}

fn address(r: &mut Reader<'_>, field: &'static str) -> Result<Address, PduError> {
    let ton = r.u8(field)?;
    let npi = r.u8(field)?;
    Ok(Address {
        ton,
        npi,
        addr: r.cstring(field)?,
    })
}
