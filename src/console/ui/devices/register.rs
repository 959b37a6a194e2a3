//! 登记新设备 / 修改档案, the registry form for those who manage devices (technicians): a new
//! device goes to `POST /devices`, a registered one's record to `PUT /devices/{id}`. What the
//! desk can tell by itself (an id's shape, a number, a station id where a weather-reporting
//! kind needs one) is said beside the field before anything is sent; what only the central
//! knows (a township or reference station it lacks, a station id taken) comes back as its
//! refusal and is said beside the field it names.

use egui::RichText;

use super::list::{kind_name, transport_name};
use super::text::{self, DevicesText};
use crate::console::messages::Command;
use crate::console::messages::devices::{
    Device, DeviceCommand, DeviceKind, DeviceRead, ModbusEndpoint, Transport,
};
use crate::console::ui::i18n;
use crate::console::ui::{Scene, theme};
use crate::domain::devices::DeviceId;
use crate::domain::geo::LatLon;
use crate::domain::{StationId, TownshipCode};

/// The transports offered, in order.
const TRANSPORTS: [Transport; 3] = [Transport::Mqtt, Transport::ModbusTcp, Transport::ModbusDtu];

/// A field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// 编号.
    Id,
    /// 名称.
    Name,
    /// 类型.
    Kind,
    /// 乡镇.
    Township,
    /// 位置.
    Location,
    /// 海拔.
    Altitude,
    /// 接入方式 (and its Modbus particulars).
    Transport,
    /// 上报间隔.
    Interval,
    /// 对应站点.
    Station,
    /// 参考站.
    Reference,
    /// 所属 DTU.
    Dtu,
}

/// The field a refusal of the central names: `invalid_device` and `device_names_unknown` say
/// it in `field`, `station_taken` and `device_exists` by their code.
pub fn refused_field(code: &str, field: Option<&str>) -> Option<Field> {
    let named = match code {
        "station_taken" => "station",
        "device_exists" | "unknown_device_id" => "id",
        _ => field?,
    };
    Some(match named {
        "id" => Field::Id,
        "name_zh" => Field::Name,
        "kind" => Field::Kind,
        "township" => Field::Township,
        "location" => Field::Location,
        "altitude_m" => Field::Altitude,
        "transport" | "modbus" => Field::Transport,
        "interval_s" => Field::Interval,
        "station" => Field::Station,
        "reference station" | "reference_station" => Field::Reference,
        "DTU" | "dtu" => Field::Dtu,
        _ => return None,
    })
}

/// The form as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceForm {
    /// The registered device being changed; `None` for a new one.
    pub editing: Option<DeviceId>,
    /// 编号.
    pub id: String,
    /// 名称.
    pub name: String,
    /// 类型.
    pub kind: DeviceKind,
    /// 乡镇.
    pub township: Option<TownshipCode>,
    /// 位置, `26.10, 116.95`.
    pub location: String,
    /// 海拔, m.
    pub altitude: String,
    /// 接入方式.
    pub transport: Transport,
    /// 上报间隔, s.
    pub interval: String,
    /// 对应站点 (weather-reporting kinds).
    pub station: String,
    /// 参考站.
    pub reference: String,
    /// Modbus TCP `host:port`.
    pub modbus_address: String,
    /// Modbus unit id.
    pub modbus_unit: String,
    /// 所属 DTU.
    pub dtu: String,
    /// 4G.
    pub cellular: bool,
    /// 登记 was pressed: every fault is said, empty fields' too.
    pub tried: bool,
    /// What the form keeps but does not show (simulated, a board's register map, its relays).
    kept: Option<Device>,
    /// `devices.saves` and `devices.refusals` when it was sent (`None` while it is being
    /// filled in).
    pub sent: Option<(u64, u64)>,
}

impl DeviceForm {
    /// An empty form for a new garden micro-station reporting every minute by MQTT.
    pub fn new() -> Self {
        Self {
            editing: None,
            id: String::new(),
            name: String::new(),
            kind: DeviceKind::GardenStation,
            township: None,
            location: String::new(),
            altitude: String::new(),
            transport: Transport::Mqtt,
            interval: "60".to_owned(),
            station: String::new(),
            reference: String::new(),
            modbus_address: String::new(),
            modbus_unit: String::new(),
            dtu: String::new(),
            cellular: false,
            tried: false,
            kept: None,
            sent: None,
        }
    }

    /// The form of a registered `device`, to change it.
    pub fn editing(device: &Device) -> Self {
        let text = |id: Option<&StationId>| id.map_or_else(String::new, ToString::to_string);
        let modbus = device.modbus.as_ref();
        Self {
            editing: Some(device.id.clone()),
            id: device.id.to_string(),
            name: device.name_zh.clone(),
            kind: device.kind,
            township: Some(device.township),
            location: format!("{}, {}", device.location.lat, device.location.lon),
            altitude: device.altitude_m.to_string(),
            transport: device.transport,
            interval: device.interval_s.to_string(),
            station: text(device.station.as_ref()),
            reference: text(device.reference_station.as_ref()),
            modbus_address: modbus.and_then(|m| m.address.clone()).unwrap_or_default(),
            modbus_unit: modbus.map_or_else(String::new, |m| m.unit.to_string()),
            dtu: device
                .dtu
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            cellular: device.cellular,
            tried: false,
            kept: Some(device.clone()),
            sent: None,
        }
    }
}

impl Default for DeviceForm {
    fn default() -> Self {
        Self::new()
    }
}

/// What is wrong with the form, by field, in the desk's words.
pub type Faults = Vec<(Field, &'static str)>;

/// The record the form describes, or what the desk can already tell is wrong with it.
pub fn record(form: &DeviceForm, t: &DevicesText) -> Result<Device, Faults> {
    let mut faults = Faults::new();
    let mut fault = |field, words| faults.push((field, words));
    let id = DeviceId::parse(form.id.trim()).map_err(|_| fault(Field::Id, t.form_bad_id));
    let name = form.name.trim();
    if name.is_empty() {
        fault(Field::Name, t.form_bad_name);
    }
    if form.township.is_none() {
        fault(Field::Township, t.form_pick_township);
    }
    let location = lat_lon(&form.location).ok_or(());
    if location.is_err() {
        fault(Field::Location, t.form_bad_location);
    }
    let altitude = number(&form.altitude).ok_or_else(|| fault(Field::Altitude, t.form_bad_number));
    let interval = form.interval.trim().parse::<u32>();
    if interval.is_err() {
        fault(Field::Interval, t.form_bad_number);
    }
    let station = station_of(form, t).map_err(|words| fault(Field::Station, words));
    let reference =
        optional_station(&form.reference).map_err(|()| fault(Field::Reference, t.form_bad_station));
    let links = links_of(form).map_err(|field| {
        let words = if field == Field::Dtu {
            t.form_bad_id
        } else {
            t.form_bad_number
        };
        fault(field, words);
    });
    match (id, location, altitude, interval, station, reference, links) {
        (
            Ok(id),
            Ok(location),
            Ok(altitude_m),
            Ok(interval_s),
            Ok(station),
            Ok(reference),
            Ok(links),
        ) if faults.is_empty() => {
            let (dtu, modbus) = links;
            let kept = form.kept.as_ref();
            // A board's quirks (its register map, 1-based numbering) the form does not show.
            let quirks = |unit| {
                kept.and_then(|d| d.modbus.clone())
                    .unwrap_or(ModbusEndpoint {
                        address: None,
                        unit,
                        one_based: false,
                        map: None,
                        max_per_request: None,
                    })
            };
            Ok(Device {
                id,
                name_zh: name.to_owned(),
                kind: form.kind,
                location,
                altitude_m,
                township: form.township.unwrap_or(TownshipCode(0)),
                transport: form.transport,
                interval_s,
                station,
                reference_station: reference,
                dtu,
                modbus: modbus.map(|(address, unit)| ModbusEndpoint {
                    address,
                    unit,
                    ..quirks(unit)
                }),
                cellular: form.cellular,
                simulated: kept.is_some_and(|d| d.simulated),
                relays: kept.map(|d| d.relays.clone()).unwrap_or_default(),
            })
        }
        _ => Err(faults),
    }
}

/// Whether something was typed (or picked) in `field`.
pub fn typed(form: &DeviceForm, field: Field) -> bool {
    let text = match field {
        Field::Id => &form.id,
        Field::Name => &form.name,
        Field::Kind => return true,
        Field::Township => return form.township.is_some(),
        Field::Location => &form.location,
        Field::Altitude => &form.altitude,
        Field::Transport => &form.modbus_unit,
        Field::Interval => &form.interval,
        Field::Station => &form.station,
        Field::Reference => &form.reference,
        Field::Dtu => &form.dtu,
    };
    !text.trim().is_empty()
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `26.10, 116.95` (or with a full-width comma or a space between).
pub fn lat_lon(text: &str) -> Option<LatLon> {
    let mut parts = text
        .split([',', '，', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let (lat, lon) = (number(parts.next()?)?, number(parts.next()?)?);
    parts.next().is_none().then_some(LatLon::new(lat, lon))
}

fn optional_station(text: &str) -> Result<Option<StationId>, ()> {
    match text.trim() {
        "" => Ok(None),
        id => StationId::parse(id).map(Some).map_err(drop),
    }
}

/// The station a weather-reporting kind reports as; other kinds name none.
fn station_of(form: &DeviceForm, t: &DevicesText) -> Result<Option<StationId>, &'static str> {
    let station = optional_station(&form.station).map_err(|()| t.form_bad_station)?;
    match (form.kind.reports_weather(), station) {
        (true, None) => Err(t.form_needs_station),
        (false, Some(_)) => Err(t.form_no_station),
        (_, station) => Ok(station),
    }
}

/// A board's DTU and Modbus `(address, unit)`, as its transport needs them.
type Links = (Option<DeviceId>, Option<(Option<String>, u8)>);

fn links_of(form: &DeviceForm) -> Result<Links, Field> {
    let unit = || {
        form.modbus_unit
            .trim()
            .parse::<u8>()
            .map_err(|_| Field::Transport)
    };
    match (form.transport, form.kind) {
        (Transport::Mqtt, _) | (Transport::ModbusDtu, DeviceKind::Dtu) => Ok((None, None)),
        (Transport::ModbusTcp, _) => {
            let address = form.modbus_address.trim().to_owned();
            Ok((None, Some((Some(address), unit()?))))
        }
        (Transport::ModbusDtu, _) => {
            let dtu = DeviceId::parse(form.dtu.trim()).map_err(|_| Field::Dtu)?;
            Ok((Some(dtu), Some((None, unit()?))))
        }
    }
}

/// What the form shows, and what it has to say by field.
struct Said<'a> {
    faults: &'a Faults,
    refused: Option<(Field, &'a str)>,
}

impl Said<'_> {
    /// The words beside `field`: the desk's own first, then the central's.
    fn of(&self, field: Field) -> Option<&str> {
        let own = self
            .faults
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, w)| *w);
        own.or(self
            .refused
            .and_then(|(f, words)| (f == field).then_some(words)))
    }
}

/// Draws the form; `false` when it is to close (cancelled, or saved).
pub fn form_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    form: &mut DeviceForm,
    commands: &mut Vec<Command>,
) -> bool {
    let t = text::text(scene.language);
    if saved(scene, form) {
        return false;
    }
    let title = if form.editing.is_some() {
        t.edit_title
    } else {
        t.register_title
    };
    ui.label(RichText::new(title).size(theme::HEADING_SIZE).strong());
    ui.separator();
    let checked = record(form, t);
    // A field left empty is not scolded before 登记 is pressed; one typed wrong is at once.
    let faults: Faults = checked
        .as_ref()
        .err()
        .into_iter()
        .flatten()
        .filter(|(field, _)| form.tried || typed(form, *field))
        .copied()
        .collect();
    let faults = &faults;
    let refusal = scene
        .state
        .devices
        .refusal
        .as_ref()
        .filter(|r| matches!(&r.read, DeviceRead::Save(id) if id.as_str() == form.id.trim()));
    let refused = refusal.map(|r| {
        (
            refused_field(&r.code, r.field.as_deref()),
            r.message.as_str(),
        )
    });
    let said = Said {
        faults,
        refused: refused.and_then(|(field, words)| field.map(|f| (f, words))),
    };
    egui::ScrollArea::vertical()
        .id_salt("device-form")
        .show(ui, |ui| {
            egui::Grid::new("device-form-grid")
                .num_columns(3)
                .spacing([12.0, 6.0])
                .show(ui, |ui| fields_ui(ui, scene, form, &said, t));
            if let Some((None, words)) = refused {
                let words = format!("⚠ {}{words}", t.form_refused);
                ui.add(egui::Label::new(RichText::new(words).color(theme::STATUS_ERROR)).wrap());
            }
            buttons_ui(ui, scene, form, checked.as_ref().ok(), commands, t)
        })
        .inner
}

/// Whether the central has stored what this form sent; a refusal of it lets the form be
/// corrected and sent again.
fn saved(scene: Scene<'_>, form: &mut DeviceForm) -> bool {
    let devices = &scene.state.devices;
    let Some((saves, refusals)) = form.sent else {
        return false;
    };
    let ours = |id: &DeviceId| id.as_str() == form.id.trim();
    let stored = devices.saves > saves && devices.last_saved.as_ref().is_some_and(|d| ours(&d.id));
    let refused = devices.refusals > refusals
        && devices
            .refusal
            .as_ref()
            .is_some_and(|r| matches!(&r.read, DeviceRead::Save(id) if ours(id)));
    if refused {
        form.sent = None;
    }
    stored
}

fn buttons_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    form: &mut DeviceForm,
    record: Option<&Device>,
    commands: &mut Vec<Command>,
    t: &DevicesText,
) -> bool {
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        let submit = if form.editing.is_some() {
            t.form_submit_edit
        } else {
            t.form_submit_register
        };
        let clicked = ui
            .add_enabled(form.sent.is_none(), egui::Button::new(submit))
            .clicked();
        form.tried |= clicked;
        if clicked && let Some(device) = record {
            commands.push(Command::Devices(DeviceCommand::SaveDevice {
                device: Box::new(device.clone()),
                replace: form.editing.is_some(),
            }));
            let devices = &scene.state.devices;
            form.sent = Some((devices.saves, devices.refusals));
        }
        !ui.button(t.form_cancel).clicked()
    })
    .inner
}

/// One row: the label, the editor, and what is wrong with it.
fn row(
    ui: &mut egui::Ui,
    label: &str,
    said: &Said<'_>,
    field: Field,
    editor: impl FnOnce(&mut egui::Ui) -> egui::Response,
) {
    let label = ui.label(label);
    editor(ui).labelled_by(label.id);
    match said.of(field) {
        Some(words) => ui.label(RichText::new(format!("⚠ {words}")).color(theme::STATUS_ERROR)),
        None => ui.label(""),
    };
    ui.end_row();
}

fn text_row(
    ui: &mut egui::Ui,
    label: &str,
    said: &Said<'_>,
    field: Field,
    value: &mut String,
    hint: &str,
) {
    row(ui, label, said, field, |ui| {
        ui.add(
            theme::text_field(value)
                .hint_text(hint)
                .desired_width(260.0),
        )
    });
}

fn fields_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    form: &mut DeviceForm,
    said: &Said<'_>,
    t: &DevicesText,
) {
    let language = scene.language;
    let editing = form.editing.is_some();
    row(ui, t.field_id, said, Field::Id, |ui| {
        let id = theme::text_field(&mut form.id)
            .hint_text("YR-AWS2")
            .desired_width(260.0);
        ui.add_enabled(!editing, id)
    });
    text_row(ui, t.form_name, said, Field::Name, &mut form.name, "");
    row(ui, t.field_kind, said, Field::Kind, |ui| {
        egui::ComboBox::from_id_salt("device-form-kind")
            .selected_text(kind_name(form.kind, language))
            .width(260.0)
            .show_ui(ui, |ui| {
                for kind in DeviceKind::ALL {
                    ui.selectable_value(&mut form.kind, kind, kind_name(kind, language));
                }
            })
            .response
    });
    row(ui, t.field_township, said, Field::Township, |ui| {
        township_ui(ui, scene, form)
    });
    text_row(
        ui,
        t.form_location,
        said,
        Field::Location,
        &mut form.location,
        "26.10, 116.95",
    );
    text_row(
        ui,
        t.form_altitude,
        said,
        Field::Altitude,
        &mut form.altitude,
        "520",
    );
    row(ui, t.field_transport, said, Field::Transport, |ui| {
        egui::ComboBox::from_id_salt("device-form-transport")
            .selected_text(transport_name(form.transport))
            .width(260.0)
            .show_ui(ui, |ui| {
                for transport in TRANSPORTS {
                    ui.selectable_value(&mut form.transport, transport, transport_name(transport));
                }
            })
            .response
    });
    links_ui(ui, form, said, t);
    text_row(
        ui,
        t.form_interval,
        said,
        Field::Interval,
        &mut form.interval,
        "60",
    );
    if form.kind.reports_weather() {
        text_row(
            ui,
            t.field_station,
            said,
            Field::Station,
            &mut form.station,
            t.form_station_hint,
        );
    }
    text_row(
        ui,
        t.field_reference,
        said,
        Field::Reference,
        &mut form.reference,
        t.form_reference_hint,
    );
    row(ui, t.field_cellular, said, Field::Transport, |ui| {
        ui.checkbox(&mut form.cellular, "")
    });
}

/// A board's Modbus address and unit, or its DTU, as its transport needs.
fn links_ui(ui: &mut egui::Ui, form: &mut DeviceForm, said: &Said<'_>, t: &DevicesText) {
    let board = form.kind != DeviceKind::Dtu;
    match form.transport {
        Transport::ModbusTcp => {
            let address = &mut form.modbus_address;
            text_row(
                ui,
                t.form_modbus_address,
                said,
                Field::Transport,
                address,
                "192.168.1.20:502",
            );
        }
        Transport::ModbusDtu if board => {
            text_row(ui, t.form_dtu, said, Field::Dtu, &mut form.dtu, "DTU-LF1");
        }
        _ => return,
    }
    text_row(
        ui,
        t.form_modbus_unit,
        said,
        Field::Transport,
        &mut form.modbus_unit,
        "1",
    );
}

fn township_ui(ui: &mut egui::Ui, scene: Scene<'_>, form: &mut DeviceForm) -> egui::Response {
    let townships = &scene.state.network.townships;
    let name = |code: TownshipCode| {
        townships.iter().find(|t| t.code == code).map_or_else(
            || code.to_string(),
            |t| i18n::township_name(scene.language, t),
        )
    };
    egui::ComboBox::from_id_salt("device-form-township")
        .selected_text(form.township.map_or_else(String::new, name))
        .width(260.0)
        .show_ui(ui, |ui| {
            for township in townships {
                let words = i18n::township_name(scene.language, township);
                ui.selectable_value(&mut form.township, Some(township.code), words);
            }
        })
        .response
}

#[cfg(test)]
mod tests;
