"""The event types kommodore knows, for ``GET /api/v4/events/types``.

Kommo's numeric ``type`` codes are not public: the numbers here are kommodore's own, stable
once published. Labels exist in the languages Kommo users have (en, es, pt) and in Russian
(amoCRM).
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "es", "pt", "ru")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class TypeInfo:
    key: str
    code: int
    labels: dict[str, str]


def _t(key: str, code: int, en: str, es: str, pt: str, ru: str) -> TypeInfo:
    return TypeInfo(key, code, {"en": en, "es": es, "pt": pt, "ru": ru})


EVENT_TYPES: tuple[TypeInfo, ...] = (
    _t("lead_added", 1, "Lead added", "Lead agregado", "Lead adicionado", "Новая сделка"),
    _t("lead_deleted", 2, "Lead deleted", "Lead eliminado", "Lead excluído", "Сделка удалена"),
    _t("lead_restored", 3, "Lead restored", "Lead restaurado", "Lead restaurado",
       "Сделка восстановлена"),
    _t("lead_status_changed", 4, "Lead stage changed", "Etapa del lead cambiada",
       "Etapa do lead alterada", "Изменение этапа продажи"),
    _t("lead_linked", 5, "Lead linked", "Lead vinculado", "Lead vinculado",
       "Прикрепление сделки"),
    _t("lead_unlinked", 6, "Lead unlinked", "Lead desvinculado", "Lead desvinculado",
       "Открепление сделки"),
    _t("entity_linked", 7, "Linked", "Vinculado", "Vinculado", "Прикрепление"),
    _t("entity_unlinked", 8, "Unlinked", "Desvinculado", "Desvinculado", "Открепление"),
    _t("entity_responsible_changed", 9, "Responsible user changed",
       "Usuario responsable cambiado", "Usuário responsável alterado", "Смена ответственного"),
    _t("entity_tag_added", 10, "Tag added", "Etiqueta agregada", "Tag adicionada",
       "Теги добавлены"),
    _t("entity_tag_deleted", 11, "Tag removed", "Etiqueta eliminada", "Tag removida",
       "Теги убраны"),
    _t("custom_field_value_changed", 12, "Field value changed", "Valor del campo cambiado",
       "Valor do campo alterado", "Изменение поля"),
    _t("sale_field_changed", 13, "Sale value changed", "Valor de venta cambiado",
       "Valor da venda alterado", "Изменение поля «Бюджет»"),
    _t("name_field_changed", 14, "Name changed", "Nombre cambiado", "Nome alterado",
       "Изменение поля «Название»"),
    _t("task_added", 15, "Task added", "Tarea agregada", "Tarefa adicionada", "Новая задача"),
    _t("task_completed", 16, "Task completed", "Tarea completada", "Tarefa concluída",
       "Задача завершена"),
    _t("task_text_changed", 17, "Task text changed", "Texto de la tarea cambiado",
       "Texto da tarefa alterado", "Изменение текста задачи"),
    _t("task_deadline_changed", 18, "Task deadline changed",
       "Fecha límite de la tarea cambiada", "Prazo da tarefa alterado",
       "Изменение даты исполнения задачи"),
    _t("task_type_changed", 19, "Task type changed", "Tipo de tarea cambiado",
       "Tipo de tarefa alterado", "Изменение типа задачи"),
    _t("task_result_added", 20, "Task result added", "Resultado de la tarea agregado",
       "Resultado da tarefa adicionado", "Результат по задаче"),
    # recorded on a note's parent when a note is added (spec §10)
    _t("common_note_added", 21, "Note added", "Nota agregada", "Nota adicionada",
       "Примечание добавлено"),
    _t("attachment_note_added", 22, "File added", "Archivo agregado", "Arquivo adicionado",
       "Добавлен файл"),
    _t("service_note_added", 23, "Service note added", "Nota de servicio agregada",
       "Nota de serviço adicionada", "Системное примечание добавлено"),
    _t("geo_note_added", 24, "Geolocation note added", "Nota de geolocalización agregada",
       "Nota de geolocalização adicionada", "Добавлена геолокация"),
    _t("message_to_cashier_note_added", 25, "Message to cashier added",
       "Mensaje al cajero agregado", "Mensagem ao caixa adicionada",
       "Сообщение кассиру добавлено"),
    _t("incoming_call", 26, "Incoming call", "Llamada entrante", "Chamada recebida",
       "Входящий звонок"),
    _t("outgoing_call", 27, "Outgoing call", "Llamada saliente", "Chamada realizada",
       "Исходящий звонок"),
    _t("incoming_sms", 28, "Incoming SMS", "SMS entrante", "SMS recebido", "Входящее SMS"),
    _t("outgoing_sms", 29, "Outgoing SMS", "SMS saliente", "SMS enviado", "Исходящее SMS"),
    # contacts and companies (neighbours spec §10)
    _t("contact_added", 30, "Contact added", "Contacto agregado", "Contato adicionado",
       "Новый контакт"),
    _t("contact_deleted", 31, "Contact deleted", "Contacto eliminado", "Contato excluído",
       "Контакт удалён"),
    _t("contact_restored", 32, "Contact restored", "Contacto restaurado", "Contato restaurado",
       "Контакт восстановлен"),
    _t("company_added", 33, "Company added", "Empresa agregada", "Empresa adicionada",
       "Новая компания"),
    _t("company_deleted", 34, "Company deleted", "Empresa eliminada", "Empresa excluída",
       "Компания удалена"),
    _t("company_restored", 35, "Company restored", "Empresa restaurada", "Empresa restaurada",
       "Компания восстановлена"),
    _t("contact_linked", 36, "Contact linked", "Contacto vinculado", "Contato vinculado",
       "Прикрепление контакта"),
    _t("contact_unlinked", 37, "Contact unlinked", "Contacto desvinculado",
       "Contato desvinculado", "Открепление контакта"),
    _t("company_linked", 38, "Company linked", "Empresa vinculada", "Empresa vinculada",
       "Прикрепление компании"),
    _t("company_unlinked", 39, "Company unlinked", "Empresa desvinculada",
       "Empresa desvinculada", "Открепление компании"),
)  # fmt: skip
