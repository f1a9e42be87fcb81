import type { MailMessage } from '../../platform/mail/port.js';

/** Account mails: Korean first, then English, whatever the locale, since a mail may be forwarded. */
type Mail = Omit<MailMessage, 'to'>;

const footer = [
  '',
  '이 메일을 요청하지 않으셨다면 무시하셔도 됩니다.',
  'If you did not ask for this email, you can ignore it.',
];

export function verificationMail(name: string, link: string): Mail {
  return {
    subject: 'Lectio 이메일 주소 확인 / Confirm your email address',
    text: [
      `${name}님, 안녕하세요.`,
      '아래 링크를 열어 이메일 주소를 확인해 주세요 (24시간 동안 유효):',
      link,
      '',
      `Hello ${name},`,
      'open the link below to confirm your email address (valid for 24 hours):',
      link,
      ...footer,
    ].join('\n'),
  };
}

export function emailChangeMail(name: string, link: string): Mail {
  return {
    subject: 'Lectio 새 이메일 주소 확인 / Confirm your new email address',
    text: [
      `${name}님, 안녕하세요.`,
      '이 주소를 Lectio 계정의 새 이메일로 사용하려면 아래 링크를 열어 주세요 (24시간 동안 유효):',
      link,
      '',
      `Hello ${name},`,
      'open the link below to make this address the email of your Lectio account (valid for 24 hours):',
      link,
      ...footer,
    ].join('\n'),
  };
}

export function alreadyRegisteredMail(name: string, publicUrl: string): Mail {
  return {
    subject: 'Lectio 가입 시도 알림 / Someone tried to sign up with your email',
    text: [
      `${name}님, 안녕하세요.`,
      '누군가 이 이메일 주소로 Lectio에 가입하려고 했습니다. 이미 계정이 있습니다.',
      `비밀번호가 기억나지 않으면 재설정하세요: ${publicUrl}/forgot-password`,
      '',
      `Hello ${name},`,
      'someone tried to sign up to Lectio with this email address, which already has an account.',
      `If you forgot your password, reset it: ${publicUrl}/forgot-password`,
      ...footer,
    ].join('\n'),
  };
}

export function passwordResetMail(name: string, link: string): Mail {
  return {
    subject: 'Lectio 비밀번호 재설정 / Reset your password',
    text: [
      `${name}님, 안녕하세요.`,
      '아래 링크에서 새 비밀번호를 정하세요 (1시간 동안 한 번만 유효):',
      link,
      '',
      `Hello ${name},`,
      'choose a new password at the link below (valid once, for 1 hour):',
      link,
      ...footer,
    ].join('\n'),
  };
}
