// JSX types for the web components the player renders (media-chrome, hls-video-element). React 19
// passes unknown props to custom elements as properties when the element has one, else attributes.
import type { DetailedHTMLProps, HTMLAttributes } from 'react';

type CustomElementProps = DetailedHTMLProps<HTMLAttributes<HTMLElement>, HTMLElement> & {
  [attribute: string]: unknown;
};

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'hls-video': CustomElementProps;
      'media-controller': CustomElementProps;
      'media-control-bar': CustomElementProps;
      'media-play-button': CustomElementProps;
      'media-seek-backward-button': CustomElementProps;
      'media-seek-forward-button': CustomElementProps;
      'media-mute-button': CustomElementProps;
      'media-volume-range': CustomElementProps;
      'media-time-range': CustomElementProps;
      'media-time-display': CustomElementProps;
      'media-captions-menu': CustomElementProps;
      'media-captions-menu-button': CustomElementProps;
      'media-playback-rate-menu': CustomElementProps;
      'media-playback-rate-menu-button': CustomElementProps;
      'media-rendition-menu': CustomElementProps;
      'media-rendition-menu-button': CustomElementProps;
      'media-fullscreen-button': CustomElementProps;
      'media-loading-indicator': CustomElementProps;
      'media-poster-image': CustomElementProps;
    }
  }
}
