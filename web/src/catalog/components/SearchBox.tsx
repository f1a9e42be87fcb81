import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { focusRing } from '../../components/form';
import { catalogKeys, suggestCourses } from '../api';
import { useDebounced } from '../useDebounced';

/**
 * The header search: a form that opens /search?q=…, with suggestions as an ARIA 1.2 combobox
 * (arrow keys move through them, Enter opens the highlighted course, Escape closes the list).
 */
export function SearchBox() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const id = useId();
  const listId = `${id}-list`;
  const initial = location.pathname === '/search' ? (new URLSearchParams(location.search).get('q') ?? '') : '';
  const [text, setText] = useState(initial);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);

  // Follow the URL when it changes (Back to an earlier search, a link to /search?q=…).
  const urlKey = `${location.pathname}${location.search}`;
  const [lastUrl, setLastUrl] = useState(urlKey);
  if (lastUrl !== urlKey) {
    setLastUrl(urlKey);
    setText(initial);
    setOpen(false);
    setActive(-1);
  }

  const query = useDebounced(text.trim(), 250);
  const suggestions = useQuery({
    queryKey: catalogKeys.suggest(query),
    queryFn: ({ signal }) => suggestCourses(query, signal),
    enabled: open && query.length >= 1,
    staleTime: 60_000,
  });
  const items = open && query.length >= 1 ? (suggestions.data?.items ?? []) : [];
  const expanded = items.length > 0;

  function close() {
    setOpen(false);
    setActive(-1);
  }

  function openCourse(slug: string) {
    close();
    void navigate(`/courses/${encodeURIComponent(slug)}`);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const chosen = items[active];
    if (chosen) return openCourse(chosen.slug);
    close();
    const q = text.trim();
    void navigate(q ? `/search?q=${encodeURIComponent(q)}` : '/search');
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setOpen(true);
      if (items.length) setActive((index) => (index + 1) % items.length);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      if (items.length) setActive((index) => (index <= 0 ? items.length - 1 : index - 1));
    } else if (event.key === 'Escape') {
      if (expanded) event.preventDefault();
      close();
    }
  }

  return (
    <form role="search" onSubmit={onSubmit} className="relative order-last w-full md:order-none md:w-52 xl:w-72">
      <label htmlFor={`${id}-input`} className="sr-only">
        {t('catalog.search.label')}
      </label>
      <input
        id={`${id}-input`}
        type="search"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${id}-option-${active}` : undefined}
        placeholder={t('catalog.search.placeholder')}
        value={text}
        maxLength={200}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
          setActive(-1);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => close()}
        className={`block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm ${focusRing}`}
      />
      <ul
        id={listId}
        role="listbox"
        aria-label={t('catalog.search.suggestions')}
        hidden={!expanded}
        className="absolute right-0 left-0 z-30 mt-1 max-h-80 overflow-auto rounded-lg border border-slate-200 bg-white p-1 shadow-lg"
      >
        {items.map((item, index) => (
          <li
            key={item.slug}
            id={`${id}-option-${index}`}
            role="option"
            aria-selected={index === active}
            // mousedown, not click: the input's blur would close the list before a click lands.
            onMouseDown={(event) => {
              event.preventDefault();
              openCourse(item.slug);
            }}
            className={`cursor-pointer rounded-md px-3 py-2 text-sm ${index === active ? 'bg-indigo-50 text-indigo-900' : 'text-slate-800 hover:bg-slate-50'}`}
          >
            {item.title}
          </li>
        ))}
      </ul>
      <p className="sr-only" aria-live="polite">
        {expanded ? t('catalog.search.suggestionCount', { count: items.length }) : ''}
      </p>
    </form>
  );
}
