import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  apiCall as call,
  apiLogin,
  artifactPath,
  openTrackedPage,
  useLectioWithBrowser,
  type Lesson,
} from './harness.js';

/** A first start migrates and seeds; on a busy 2-core machine that can take a minute or more. */
const SETUP_TIMEOUT_MS = 150_000;
/** The seed's demo lecture (24 s, 720p) goes through the real pipeline on a busy 2-core machine. */
const READY_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 20_000;
/** The receipt mail is a queued job: it reaches the dev mailbox within seconds. */
const MAIL_TIMEOUT_MS = 30_000;

const STUDENT = { email: 'student@lectio.localhost', password: 'lectio-student-demo' };
const INSTRUCTOR = { email: 'instructor@lectio.localhost', password: 'lectio-instructor-demo' };
const ADMIN = { email: 'admin@lectio.localhost', password: 'lectio-admin-demo' };
/** The seeded paid English course (USD 29.99); the demo student has not bought it. */
const COURSE_SLUG = 'modern-web-development-with-react';
const COURSE_TITLE = 'Modern Web Development with React';
/** Its video lesson: not a free preview, so only a buyer plays it. */
const VIDEO_LESSON = 'Props and state';
/** A seeded paid Korean course (KRW 49,000) the demo student has not bought either. */
const KRW_SLUG = '데이터분석-실전';
const KRW_TITLE = '데이터분석 실전';
/** The seed's site-wide 10 % coupon. */
const COUPON = 'WELCOME10';

// Spelled out rather than read from the catalogues, so a missing translation fails the test.
// The demo student reads English.
const UI = {
  email: 'Email',
  password: 'Password',
  logIn: 'Log in',
  buy: 'Buy this course',
  checkout: 'Checkout',
  summary: 'Order summary',
  coupon: 'Coupon code',
  apply: 'Apply',
  noSuchCoupon: 'There is no coupon with this code.',
  couponApplied: `Coupon ${COUPON} applied: 10% off.`,
  pay: 'Pay $27.00',
  gatewayPay: /^Pay \$27\.00$/,
  enrolled: "You're enrolled",
  goToCourse: 'Go to the course',
  receipt: 'Receipt',
  player: (title: string) => `Video: ${title}`,
  myOrders: 'My orders',
  receiptFor: (course: string) => `Receipt for ${course}`,
  paid: 'Paid',
  gatewayDecline: 'Decline the payment',
  gatewayBack: 'Back to Lectio without paying',
  declined: 'The payment was declined. No money was taken.',
  tryAgain: 'Try again',
  stillOpen: /^You left the payment page before paying\./,
  resume: 'Resume payment',
  cancelOrder: 'Cancel the order',
  cancelled: 'The order was cancelled.',
  orderOpen: 'You already have an order for this course waiting for payment.',
  continuePayment: 'Continue to payment',
  cancelOpen: 'Cancel that order',
  openCancelled: 'The earlier order was cancelled. You can pay now.',
  status: { failed: 'Payment failed', expired: 'Expired', pending: 'Awaiting payment', refunded: 'Refunded' },
  refundReason: 'Why do you want a refund?',
  requestRefund: 'Request a refund',
  refundSent: 'Your refund request was sent. An administrator will look at it soon.',
  refundWaiting: /^Refund requested on .+: waiting for a decision\.$/,
  refundApproved: /^Refund approved on .+\.$/,
} as const;

// The demo admin and instructor read Korean.
const KO = {
  email: '이메일',
  password: '비밀번호',
  logIn: '로그인',
  requestsTitle: '처리를 기다리는 환불 요청',
  note: '학생에게 남길 메모',
  approve: /^승인하고 US\$27\.00 환불$/,
  approved: '환불을 승인했습니다.',
  ordersTab: '주문',
  statusFilter: '상태',
  refunded: '환불됨',
  revenue: '매출',
  revenueTable: '강의별·월별 매출',
  coupons: '쿠폰',
  code: '코드',
  percentOff: '할인율(%)',
  course: '강의',
  maxUses: '최대 사용 횟수(선택)',
  createCoupon: '쿠폰 만들기',
  created: (code: string) => `쿠폰 ${code}을 만들었습니다.`,
  deactivate: (code: string) => `${code} 중지`,
  inactive: '중지됨',
} as const;

/** The lesson's media element: where it is, and whether it plays. */
const mediaState = (page: Page) =>
  page.evaluate(() => {
    const media = document.querySelector('hls-video') as HTMLVideoElement | null;
    return media ? { currentTime: media.currentTime, paused: media.paused } : null;
  });

describe('buying a course in Chromium', () => {
  const setup = useLectioWithBrowser({ setupTimeoutMs: SETUP_TIMEOUT_MS, readyTimeoutMs: SETUP_TIMEOUT_MS - 20_000 });
  let videoLesson: Lesson;

  beforeAll(async () => {
    const base = setup.lectio().url;
    const course = await call<{ id: string; sections: { lessons: Lesson[] }[] }>(
      base,
      null,
      'GET',
      `/courses/${encodeURIComponent(COURSE_SLUG)}`,
    );
    expect(course.status).toBe(200);
    const found = course.body.sections.flatMap((section) => section.lessons).find((l) => l.title === VIDEO_LESSON);
    if (found?.type !== 'video') throw new Error('the paid demo course lost its video lesson');
    videoLesson = found;
    // The bought lesson must have its lecture ready before the student can play it.
    const instructor = await apiLogin(base, INSTRUCTOR);
    const studio = await call<{ sections: { lessons: (Lesson & { videoId: string | null })[] }[] }>(
      base,
      instructor,
      'GET',
      `/studio/courses/${course.body.id}`,
    );
    const videoId = studio.body.sections.flatMap((s) => s.lessons).find((l) => l.id === found.id)?.videoId;
    if (!videoId) throw new Error('the paid demo course’s video lesson has no video');
    // expect.poll belongs to tests, not hooks: a plain loop.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let status = '';
    while (Date.now() < deadline) {
      status = (await call<{ status: string }>(base, instructor, 'GET', `/studio/videos/${videoId}`)).body.status;
      if (status === 'ready' || status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(status).toBe('ready');
  }, READY_TIMEOUT_MS + 30_000);

  it('a student buys a course through the test gateway, lands in it, plays a lesson and gets the receipt by mail', async () => {
    const lectio = setup.lectio();
    const base = lectio.url;
    const tracked = await openTrackedPage(setup.browser(), base, {
      locale: 'en-US',
      path: `/login?next=${encodeURIComponent(`/courses/${COURSE_SLUG}`)}`,
    });
    const { page } = tracked;
    try {
      await page.getByLabel(UI.email, { exact: true }).fill(STUDENT.email);
      await page.getByLabel(UI.password, { exact: true }).fill(STUDENT.password);
      await page.getByRole('main').getByRole('button', { name: UI.logIn }).click();
      await page.getByRole('heading', { level: 1, name: COURSE_TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });

      // The course page's Buy leads to the checkout summary.
      await page.getByRole('link', { name: UI.buy }).click();
      await page.getByRole('heading', { level: 1, name: UI.checkout }).waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(decodeURIComponent(new URL(page.url()).pathname)).toBe(`/courses/${COURSE_SLUG}/checkout`);
      const summary = page.getByRole('region', { name: UI.summary });
      await summary.getByRole('link', { name: COURSE_TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await page.getByTestId('checkout-total').innerText()).toBe('$29.99');
      await page.screenshot({ path: await artifactPath('checkout-summary.png'), fullPage: true });

      // A code that does not exist is refused in words, and the price stays.
      const couponField = page.getByLabel(UI.coupon, { exact: true });
      await couponField.fill('NO-SUCH-CODE');
      await page.getByRole('button', { name: UI.apply }).click();
      await page.getByText(UI.noSuchCoupon, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await couponField.getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByTestId('checkout-total').innerText()).toBe('$29.99');
      await page.screenshot({ path: await artifactPath('checkout-coupon-refused.png'), fullPage: true });

      // The demo coupon takes 10 % off.
      await couponField.fill(COUPON.toLowerCase());
      await page.getByRole('button', { name: UI.apply }).click();
      await page.getByText(UI.couponApplied, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      // $29.99 less 10 % rounded down to the cent ($2.99).
      const total = '$27.00';
      await expect.poll(() => page.getByTestId('checkout-total').innerText()).toBe(total);

      // Pay: the test gateway's page, then its own Pay button.
      await page.getByRole('button', { name: UI.pay }).click();
      await page.waitForURL(/\/test-gateway\/checkout\//, { timeout: STEP_TIMEOUT_MS });
      const gatewayPay = page.getByRole('button', { name: UI.gatewayPay });
      await gatewayPay.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await gatewayPay.innerText()).toBe(`Pay ${total}`);
      await page.screenshot({ path: await artifactPath('checkout-test-gateway.png'), fullPage: true });
      await gatewayPay.click();

      // Back in Lectio: the success page waits for the webhook, then says so.
      await page.waitForURL(/\/checkout\/success\?order=[0-9a-f-]{36}(&|$)/, { timeout: STEP_TIMEOUT_MS });
      const orderId = new URL(page.url()).searchParams.get('order') ?? '';
      await page.getByRole('heading', { level: 2, name: UI.enrolled }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: await artifactPath('checkout-success.png'), fullPage: true });

      // The course, its bought video lesson, and the video plays.
      await page.getByRole('link', { name: UI.goToCourse }).click();
      await page.getByRole('heading', { level: 1, name: COURSE_TITLE }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.getByRole('link', { name: VIDEO_LESSON, exact: true }).click();
      const player = page.getByRole('region', { name: UI.player(videoLesson.title) });
      await player.waitFor({ timeout: STEP_TIMEOUT_MS });
      await player.focus();
      await page.keyboard.press('Space');
      await expect
        .poll(async () => (await mediaState(page))?.currentTime ?? 0, { timeout: STEP_TIMEOUT_MS, interval: 250 })
        .toBeGreaterThan(1);
      expect((await mediaState(page))?.paused).toBe(false);
      await page.screenshot({ path: await artifactPath('checkout-lesson-playing.png') });

      // My orders lists it as paid, with its receipt.
      await page.goto(`${base}/me/orders`, { waitUntil: 'networkidle' });
      await page.getByRole('heading', { level: 1, name: UI.myOrders }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: COURSE_TITLE }) });
      await row.getByText(UI.paid, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await row.getByRole('cell').nth(2).innerText()).toBe(total);
      await page.screenshot({ path: await artifactPath('my-orders.png'), fullPage: true });
      await row.getByRole('link', { name: UI.receiptFor(COURSE_TITLE) }).click();
      await page.getByRole('heading', { level: 1, name: UI.receipt }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const receiptNumber = (await page.getByTestId('receipt-number').innerText()).trim();
      expect(receiptNumber).toBe(`LR-${orderId.replace(/-/g, '').slice(0, 12).toUpperCase()}`);
      await page.screenshot({ path: await artifactPath('receipt.png'), fullPage: true });

      // The receipt mail, with the same number, in the dev mailbox.
      await expect
        .poll(
          async () => {
            const mailbox = await call<{ items: { to: string[]; subject: string; text: string }[] }>(
              base,
              null,
              'GET',
              '/dev/mailbox?limit=50',
            );
            return mailbox.body.items.some(
              (mail) =>
                mail.to.includes(STUDENT.email) &&
                mail.subject.includes(receiptNumber) &&
                mail.text.includes(`/me/orders/${orderId}`),
            );
          },
          { timeout: MAIL_TIMEOUT_MS, interval: 1_000 },
        )
        .toBe(true);

      expect(tracked.foreignRequests).toEqual([]);
      expect(tracked.pageErrors).toEqual([]);
    } finally {
      await tracked.context.close();
    }
  }, 150_000);
  it('a declined payment, a payment left open, and an open order met again at checkout: each says what happened and what to do', async () => {
    const lectio = setup.lectio();
    const base = lectio.url;
    const checkoutPath = `/courses/${encodeURIComponent(KRW_SLUG)}/checkout`;
    const tracked = await openTrackedPage(setup.browser(), base, {
      locale: 'en-US',
      path: `/login?next=${encodeURIComponent(checkoutPath)}`,
    });
    const { page } = tracked;
    const payButton = page.getByRole('button', { name: 'Pay ₩49,000' });
    const onGateway = async () => {
      await page.waitForURL(/\/test-gateway\/checkout\//, { timeout: STEP_TIMEOUT_MS });
      await page.getByRole('button', { name: UI.gatewayDecline }).waitFor({ timeout: STEP_TIMEOUT_MS });
    };
    try {
      await page.getByLabel(UI.email, { exact: true }).fill(STUDENT.email);
      await page.getByLabel(UI.password, { exact: true }).fill(STUDENT.password);
      await page.getByRole('main').getByRole('button', { name: UI.logIn }).click();
      await page.getByRole('heading', { level: 1, name: UI.checkout }).waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await page.getByTestId('checkout-total').innerText()).toBe('₩49,000');

      // Declined on the gateway: the cancel page says so once the webhook has landed.
      await payButton.click();
      await onGateway();
      await page.getByRole('button', { name: UI.gatewayDecline }).click();
      await page.waitForURL(/\/checkout\/cancel\?order=/, { timeout: STEP_TIMEOUT_MS });
      await page.getByRole('alert').getByText(UI.declined, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: await artifactPath('checkout-declined.png'), fullPage: true });

      // Try again makes a new order; leaving the gateway without paying keeps it open.
      await page.getByRole('link', { name: UI.tryAgain }).click();
      await payButton.click();
      await onGateway();
      await page.getByRole('link', { name: UI.gatewayBack }).click();
      await page.waitForURL(/\/checkout\/cancel\?order=/, { timeout: STEP_TIMEOUT_MS });
      await page.getByText(UI.stillOpen).waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await page.getByRole('link', { name: UI.resume }).getAttribute('href')).toMatch(
        /\/test-gateway\/checkout\//,
      );
      await page.screenshot({ path: await artifactPath('checkout-left-open.png'), fullPage: true });
      await page.getByRole('button', { name: UI.cancelOrder }).click();
      await page.getByText(UI.cancelled, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

      // A third order left open, then a new visit of the checkout meets it: continue or cancel it.
      await page.goto(`${base}${checkoutPath}`, { waitUntil: 'networkidle' });
      await payButton.click();
      await onGateway();
      await page.goto(`${base}${checkoutPath}`, { waitUntil: 'networkidle' });
      await payButton.click();
      const open = page.getByRole('alert').filter({ hasText: UI.orderOpen });
      await open.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect(await open.getByRole('link', { name: UI.continuePayment }).getAttribute('href')).toMatch(
        /\/test-gateway\/checkout\//,
      );
      await page.screenshot({ path: await artifactPath('checkout-order-open.png'), fullPage: true });
      await open.getByRole('button', { name: UI.cancelOpen }).click();
      await page.getByText(UI.openCancelled, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await payButton.click();
      await onGateway();

      // My orders: the declined one, the two cancelled ones, and the one still open, newest first.
      await page.goto(`${base}/me/orders`, { waitUntil: 'networkidle' });
      const rows = page.getByRole('row').filter({ has: page.getByRole('link', { name: KRW_TITLE }) });
      await expect.poll(() => rows.count(), { timeout: STEP_TIMEOUT_MS }).toBe(4);
      const statuses = await rows.evaluateAll((cells) =>
        cells.map((row) => row.querySelectorAll('td')[3]?.textContent?.trim() ?? ''),
      );
      expect(statuses).toEqual([UI.status.pending, UI.status.expired, UI.status.expired, UI.status.failed]);
      await rows.first().getByRole('link', { name: UI.resume }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: await artifactPath('my-orders-open.png'), fullPage: true });

      expect(tracked.foreignRequests).toEqual([]);
      expect(tracked.pageErrors).toEqual([]);
    } finally {
      await tracked.context.close();
    }
  }, 120_000);
  // After the first test: the demo student owns the React course through a paid order.
  it('a refund request approved by the admin ends the student’s access; the instructor sees the sale and makes a coupon', async () => {
    const lectio = setup.lectio();
    const base = lectio.url;
    const signIn = async (page: Page, account: { email: string; password: string }, ui: typeof UI | typeof KO) => {
      await page.getByLabel(ui.email, { exact: true }).fill(account.email);
      await page.getByLabel(ui.password, { exact: true }).fill(account.password);
      await page.getByRole('main').getByRole('button', { name: ui.logIn }).click();
    };

    // The student asks for a refund on the receipt.
    const student = await openTrackedPage(setup.browser(), base, {
      locale: 'en-US',
      path: '/login?next=%2Fme%2Forders',
    });
    let receiptPath = '';
    try {
      const { page } = student;
      await signIn(page, STUDENT, UI);
      await page.getByRole('link', { name: UI.receiptFor(COURSE_TITLE) }).click();
      await page.getByRole('heading', { level: 1, name: UI.receipt }).waitFor({ timeout: STEP_TIMEOUT_MS });
      receiptPath = new URL(page.url()).pathname;
      await page.getByLabel(UI.refundReason, { exact: true }).fill('Not what I expected.');
      await page.getByRole('button', { name: UI.requestRefund }).click();
      await page.getByText(UI.refundSent, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.getByText(UI.refundWaiting).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: await artifactPath('receipt-refund-requested.png'), fullPage: true });
      expect(student.pageErrors).toEqual([]);
    } finally {
      await student.context.close();
    }

    // The admin approves it; the order is refunded.
    const admin = await openTrackedPage(setup.browser(), base, {
      locale: 'ko-KR',
      path: `/login?next=${encodeURIComponent('/admin/orders?tab=requests')}`,
    });
    try {
      const { page } = admin;
      await signIn(page, ADMIN, KO);
      await page.getByRole('heading', { level: 2, name: KO.requestsTitle }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const card = page.getByRole('article').filter({ hasText: COURSE_TITLE });
      await card.getByText('Not what I expected.', { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await card.getByLabel(KO.note, { exact: true }).fill('확인했습니다.');
      await page.screenshot({ path: await artifactPath('admin-refund-requests.png'), fullPage: true });
      await card.getByRole('button', { name: KO.approve }).click();
      await page.getByText(KO.approved, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });

      await page.getByRole('link', { name: KO.ordersTab, exact: true }).click();
      await page.getByLabel(KO.statusFilter, { exact: true }).selectOption({ label: KO.refunded });
      const row = page.getByRole('article').filter({ hasText: COURSE_TITLE });
      await row.getByText(KO.refunded, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: await artifactPath('admin-orders.png'), fullPage: true });
      expect(admin.pageErrors).toEqual([]);
    } finally {
      await admin.context.close();
    }

    // The refund took the course away: no more playback, and the receipt says why.
    const token = await apiLogin(base, STUDENT);
    await expect
      .poll(async () => (await call(base, token, 'POST', `/lessons/${videoLesson.id}/playback`, {})).status, {
        timeout: STEP_TIMEOUT_MS,
      })
      .toBe(403);
    const back = await openTrackedPage(setup.browser(), base, {
      locale: 'en-US',
      path: `/login?next=${encodeURIComponent(receiptPath)}`,
    });
    try {
      const { page } = back;
      await signIn(page, STUDENT, UI);
      await page.getByText(UI.refundApproved).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.getByRole('article').getByText(UI.status.refunded, { exact: true }).first().waitFor();
      await page.screenshot({ path: await artifactPath('receipt-refunded.png'), fullPage: true });
    } finally {
      await back.context.close();
    }

    // The instructor: the sale and its refund in revenue, then a coupon for the course.
    const teacher = await openTrackedPage(setup.browser(), base, {
      locale: 'ko-KR',
      path: '/login?next=%2Fstudio%2Frevenue',
    });
    try {
      const { page } = teacher;
      await signIn(page, INSTRUCTOR, KO);
      await page.getByRole('heading', { level: 1, name: KO.revenue }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const table = page.getByRole('table', { name: KO.revenueTable });
      const sale = table.getByRole('row').filter({ hasText: COURSE_TITLE });
      await sale.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect((await sale.getByRole('cell').allInnerTexts()).slice(-4)).toEqual([
        '1',
        'US$27.00',
        'US$27.00',
        'US$0.00',
      ]);
      await page.screenshot({ path: await artifactPath('studio-revenue.png'), fullPage: true });

      await page.getByRole('main').getByRole('link', { name: KO.coupons, exact: true }).click();
      await page.getByLabel(KO.code, { exact: true }).fill('react-half');
      await page.getByLabel(KO.percentOff, { exact: true }).fill('50');
      // Each course is offered with the currency of its price.
      await page.getByLabel(KO.course, { exact: true }).selectOption({ label: `${COURSE_TITLE} (USD)` });
      await page.getByLabel(KO.maxUses, { exact: true }).fill('5');
      await page.getByRole('button', { name: KO.createCoupon }).click();
      await page.getByText(KO.created('REACT-HALF'), { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      const coupon = page.getByRole('row').filter({ hasText: 'REACT-HALF' });
      await coupon.waitFor({ timeout: STEP_TIMEOUT_MS });
      expect((await coupon.getByRole('cell').allInnerTexts()).slice(0, 3)).toEqual(['50%', COURSE_TITLE, '0 / 5']);
      await coupon.getByRole('button', { name: KO.deactivate('REACT-HALF') }).click();
      await coupon.getByText(KO.inactive, { exact: true }).waitFor({ timeout: STEP_TIMEOUT_MS });
      await page.screenshot({ path: await artifactPath('studio-coupons.png'), fullPage: true });
      expect(teacher.foreignRequests).toEqual([]);
      expect(teacher.pageErrors).toEqual([]);
    } finally {
      await teacher.context.close();
    }
  }, 150_000);
});
