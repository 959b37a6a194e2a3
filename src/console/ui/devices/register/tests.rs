use super::*;
use crate::console::ui::i18n::Language;

fn garden_form() -> DeviceForm {
    DeviceForm {
        id: "YR-AWS2".into(),
        name: "悠然国茶园二号站".into(),
        township: Some(TownshipCode(350_423_104)),
        location: "26.10, 116.95".into(),
        altitude: "520".into(),
        station: "yrg02".into(),
        reference: "708305".into(),
        ..DeviceForm::new()
    }
}

fn faults_of(form: &DeviceForm) -> Vec<Field> {
    let t = text::text(Language::Zh);
    record(form, t)
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|(f, _)| f)
        .collect()
}

#[test]
fn a_whole_garden_form_is_its_record() {
    let device = record(&garden_form(), text::text(Language::Zh)).unwrap();
    assert_eq!(device.id.as_str(), "YR-AWS2");
    assert_eq!(device.station.unwrap().as_str(), "YRG02");
    assert_eq!(device.reference_station.unwrap().as_str(), "708305");
    assert_eq!(device.location, LatLon::new(26.10, 116.95));
    assert_eq!((device.interval_s, device.altitude_m), (60, 520.0));
    assert_eq!(
        (device.transport, device.modbus, device.dtu),
        (Transport::Mqtt, None, None)
    );
}

/// A change to the whole garden form, and the fields it puts at fault.
type Case = (fn(&mut DeviceForm), &'static [Field]);

#[test]
fn what_the_desk_can_tell_is_said_by_field() {
    let cases: [Case; 9] = [
        (|f| f.id = "Y!".into(), &[Field::Id]),
        (|f| f.name = "  ".into(), &[Field::Name]),
        (|f| f.township = None, &[Field::Township]),
        (|f| f.location = "26.1".into(), &[Field::Location]),
        (|f| f.altitude = "高".into(), &[Field::Altitude]),
        (|f| f.interval = "-5".into(), &[Field::Interval]),
        (|f| f.station = String::new(), &[Field::Station]),
        (|f| f.reference = "7".into(), &[Field::Reference]),
        (
            |f| {
                f.transport = Transport::ModbusDtu;
                f.kind = DeviceKind::RelayBoard;
                f.station = String::new();
            },
            &[Field::Dtu],
        ),
    ];
    for (change, expected) in cases {
        let mut form = garden_form();
        change(&mut form);
        assert_eq!(faults_of(&form), expected, "{form:?}");
    }
}

#[test]
fn a_relay_board_names_no_station_and_a_tcp_board_its_address_and_unit() {
    let mut form = DeviceForm {
        kind: DeviceKind::RelayBoard,
        transport: Transport::ModbusTcp,
        modbus_address: "192.168.1.20:502".into(),
        modbus_unit: "3".into(),
        ..garden_form()
    };
    assert_eq!(faults_of(&form), [Field::Station], "no station for a board");
    form.station.clear();
    let device = record(&form, text::text(Language::Zh)).unwrap();
    let modbus = device.modbus.unwrap();
    assert_eq!(
        (modbus.address.as_deref(), modbus.unit),
        (Some("192.168.1.20:502"), 3)
    );
}

#[test]
fn an_edited_record_keeps_what_the_form_does_not_show() {
    let mut device = record(&garden_form(), text::text(Language::Zh)).unwrap();
    device.simulated = true;
    let mut form = DeviceForm::editing(&device);
    form.interval = "300".into();
    let saved = record(&form, text::text(Language::Zh)).unwrap();
    assert!(saved.simulated);
    assert_eq!(saved.interval_s, 300);
    assert_eq!(
        Device {
            interval_s: 60,
            ..saved
        },
        device
    );
}

#[test]
fn the_centrals_refusals_land_on_their_fields() {
    for (code, field, expected) in [
        ("invalid_device", Some("interval_s"), Some(Field::Interval)),
        ("invalid_device", Some("station"), Some(Field::Station)),
        ("invalid_device", Some("transport"), Some(Field::Transport)),
        ("invalid_device", Some("location"), Some(Field::Location)),
        ("invalid_device", Some("id"), Some(Field::Id)),
        (
            "device_names_unknown",
            Some("township"),
            Some(Field::Township),
        ),
        (
            "device_names_unknown",
            Some("reference station"),
            Some(Field::Reference),
        ),
        ("device_names_unknown", Some("DTU"), Some(Field::Dtu)),
        ("station_taken", None, Some(Field::Station)),
        ("device_exists", None, Some(Field::Id)),
        ("forbidden", None, None),
    ] {
        assert_eq!(refused_field(code, field), expected, "{code} {field:?}");
    }
}

#[test]
fn positions_are_read_with_either_comma() {
    assert_eq!(lat_lon("26.1，116.9"), Some(LatLon::new(26.1, 116.9)));
    assert_eq!(lat_lon(" 26.1 116.9 "), Some(LatLon::new(26.1, 116.9)));
    assert_eq!(lat_lon("26.1, 116.9, 3"), None);
    assert_eq!(lat_lon("north"), None);
}

#[test]
fn an_empty_field_is_typed_only_once_filled_in() {
    let form = DeviceForm::new();
    assert!(!typed(&form, Field::Id) && !typed(&form, Field::Township));
    assert!(typed(&form, Field::Interval), "60 by default");
    assert!(typed(&garden_form(), Field::Station));
}
