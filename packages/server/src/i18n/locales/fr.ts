import type { Messages } from './en.js';

export const fr: Messages = {
  errors: {
    VALIDATION_FAILED: 'La requête n’est pas valide : {{detail}}',
    NOT_FOUND: 'Il n’y a rien à {{method}} {{url}}.',
    UNAUTHENTICATED: 'Vous devez vous connecter pour faire cela.',
    INVALID_CREDENTIALS: 'Adresse e-mail ou mot de passe incorrect.',
    FORBIDDEN: 'Vous n’êtes pas autorisé à faire cela.',
    AGGREGATION_TOO_SMALL:
      'Trop peu de logements ont des données sur cette période pour en montrer le total sans révéler la consommation d’un ménage ; choisissez une période plus longue.',
    MONTH_NOT_ENDED:
      'L’information mensuelle porte sur des mois civils terminés ; ce mois n’est pas encore terminé dans le fuseau horaire de l’immeuble. Choisissez un mois antérieur.',
    CONFLICT: 'Ceci a été modifié entre-temps ; rechargez-le et réessayez.',
    RATE_LIMITED: 'Trop de requêtes ; veuillez patienter un instant et réessayer.',
    PAYLOAD_TOO_LARGE: 'Le corps de la requête est trop volumineux.',
    UNSUPPORTED_MEDIA_TYPE: 'Ce type de contenu n’est pas pris en charge ici.',
    SERVICE_UNAVAILABLE: 'Le service est momentanément indisponible ; réessayez sous peu.',
    INTERNAL_ERROR:
      'Une erreur s’est produite de notre côté. L’identifiant de requête nous aide à la retrouver.',
  },
};
