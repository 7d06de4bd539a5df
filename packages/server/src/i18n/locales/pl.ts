import type { Messages } from './en.js';

export const pl: Messages = {
  errors: {
    VALIDATION_FAILED: 'Żądanie jest nieprawidłowe: {{detail}}',
    NOT_FOUND: 'Pod {{method}} {{url}} nic nie ma.',
    UNAUTHENTICATED: 'Aby to zrobić, musisz się zalogować.',
    INVALID_CREDENTIALS: 'Nieprawidłowy adres e-mail lub hasło.',
    FORBIDDEN: 'Nie masz uprawnień, aby to zrobić.',
    AGGREGATION_TOO_SMALL:
      'W tym okresie zbyt mało lokali ma dane, aby pokazać sumę bez ujawnienia zużycia jednego gospodarstwa; wybierz dłuższy okres.',
    MONTH_NOT_ENDED:
      'Miesięczna informacja o zużyciu obejmuje tylko zakończone miesiące kalendarzowe; ten miesiąc w strefie czasowej nieruchomości jeszcze się nie skończył. Wybierz wcześniejszy miesiąc.',
    CONFLICT: 'Ktoś inny w międzyczasie to zmienił; wczytaj ponownie i spróbuj jeszcze raz.',
    RATE_LIMITED: 'Zbyt wiele żądań; odczekaj chwilę i spróbuj ponownie.',
    PAYLOAD_TOO_LARGE: 'Treść żądania jest za duża.',
    UNSUPPORTED_MEDIA_TYPE: 'Ten typ treści nie jest tutaj obsługiwany.',
    SERVICE_UNAVAILABLE: 'Usługa jest chwilowo niedostępna; spróbuj ponownie za chwilę.',
    INTERNAL_ERROR: 'Wystąpił błąd po naszej stronie. Identyfikator żądania pomoże nam go znaleźć.',
  },
};
