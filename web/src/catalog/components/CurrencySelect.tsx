import { useTranslation } from 'react-i18next';
import { SelectField } from '../../components/form';
import { CURRENCIES, type Currency } from '../types';

/** The labelled choice of a price's currency. */
export function CurrencySelect({
  value,
  onChange,
  className,
}: {
  value: Currency;
  onChange: (currency: Currency) => void;
  className?: string;
}) {
  const { t } = useTranslation();
  return (
    <SelectField
      label={t('catalog.search.currency')}
      value={value}
      onChange={(event) => onChange(event.target.value as Currency)}
      className={className}
    >
      {CURRENCIES.map((currency) => (
        <option key={currency} value={currency}>
          {currency}
        </option>
      ))}
    </SelectField>
  );
}
