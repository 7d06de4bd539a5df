import type { Messages } from './en.js';

export const tr: Messages = {
  errors: {
    VALIDATION_FAILED: 'İstek geçerli değil: {{detail}}',
    NOT_FOUND: '{{method}} {{url}} adresinde bir şey yok.',
    UNAUTHENTICATED: 'Bunu yapmak için oturum açmanız gerekiyor.',
    INVALID_CREDENTIALS: 'E-posta adresi veya parola yanlış.',
    FORBIDDEN: 'Bunu yapmaya yetkiniz yok.',
    AGGREGATION_TOO_SMALL:
      'Bu dönemde, bir hanenin tüketimini açığa çıkarmadan toplamı göstermek için yeterli sayıda birimin verisi yok; daha uzun bir dönem seçin.',
    MONTH_NOT_ENDED:
      'Aylık tüketim bilgisi yalnızca sona ermiş takvim aylarını kapsar; bu ay, mülkün saat diliminde henüz bitmedi. Daha önceki bir ay seçin.',
    CONFLICT: 'Bu, bu arada başka biri tarafından değiştirildi; yeniden yükleyip tekrar deneyin.',
    RATE_LIMITED: 'Çok fazla istek; lütfen biraz bekleyip tekrar deneyin.',
    PAYLOAD_TOO_LARGE: 'İstek gövdesi çok büyük.',
    UNSUPPORTED_MEDIA_TYPE: 'Bu içerik türü burada desteklenmiyor.',
    SERVICE_UNAVAILABLE: 'Hizmet şu anda kullanılamıyor; lütfen kısa süre sonra tekrar deneyin.',
    INTERNAL_ERROR: 'Bizim tarafımızda bir hata oluştu. İstek kimliği onu bulmamıza yardımcı olur.',
  },
};
