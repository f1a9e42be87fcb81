import { useTranslation } from 'react-i18next';
import { PASSWORD_MAX, PASSWORD_MIN } from '../api/accountsTypes';
import { passwordStrength } from '../auth/errorMessages';

const BAR: Record<string, string> = {
  tooShort: 'w-1/6 bg-red-500',
  tooLong: 'w-full bg-red-500',
  weak: 'w-1/3 bg-amber-500',
  fair: 'w-2/3 bg-lime-500',
  strong: 'w-full bg-emerald-600',
};

export function PasswordHint({ password }: { password: string }) {
  const { t } = useTranslation();
  const strength = passwordStrength(password, PASSWORD_MIN, PASSWORD_MAX);
  return (
    <>
      <span>{t('auth.password.rule', { min: PASSWORD_MIN, max: PASSWORD_MAX })}</span>
      {password && (
        <span className="mt-1 flex items-center gap-2">
          <span className="h-1.5 w-24 overflow-hidden rounded bg-slate-200" aria-hidden="true">
            <span className={`block h-full ${BAR[strength]}`} />
          </span>
          <span aria-live="polite">{t(`auth.password.strength.${strength}`)}</span>
        </span>
      )}
    </>
  );
}

export function passwordLengthOk(password: string): boolean {
  const length = [...password.normalize('NFC')].length;
  return length >= PASSWORD_MIN && length <= PASSWORD_MAX;
}
