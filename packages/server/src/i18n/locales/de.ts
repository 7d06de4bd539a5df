import type { Messages } from './en.js';

export const de: Messages = {
  errors: {
    VALIDATION_FAILED: 'Die Anfrage ist ungültig: {{detail}}',
    NOT_FOUND: 'Unter {{method}} {{url}} gibt es nichts.',
    UNAUTHENTICATED: 'Dafür müssen Sie sich anmelden.',
    INVALID_CREDENTIALS: 'E-Mail-Adresse oder Passwort ist falsch.',
    FORBIDDEN: 'Dazu sind Sie nicht berechtigt.',
    AGGREGATION_TOO_SMALL:
      'In diesem Zeitraum haben zu wenige Einheiten Daten, um eine Summe zu zeigen, ohne den Verbrauch eines Haushalts offenzulegen; bitte wählen Sie einen längeren Zeitraum.',
    MONTH_NOT_ENDED:
      'Die monatliche Verbrauchsinformation gibt es nur für abgeschlossene Kalendermonate; dieser Monat ist in der Zeitzone der Liegenschaft noch nicht zu Ende. Bitte wählen Sie einen früheren Monat.',
    CONFLICT:
      'Dies wurde inzwischen von jemand anderem geändert; bitte neu laden und erneut versuchen.',
    RATE_LIMITED: 'Zu viele Anfragen; bitte warten Sie einen Moment und versuchen Sie es erneut.',
    PAYLOAD_TOO_LARGE: 'Der Inhalt der Anfrage ist zu groß.',
    UNSUPPORTED_MEDIA_TYPE: 'Dieser Inhaltstyp wird hier nicht unterstützt.',
    SERVICE_UNAVAILABLE:
      'Der Dienst ist gerade nicht erreichbar; bitte versuchen Sie es gleich noch einmal.',
    INTERNAL_ERROR: 'Bei uns ist ein Fehler aufgetreten. Mit der Request-ID können wir ihn finden.',
  },
};
